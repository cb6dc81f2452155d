// Package testkit holds the helpers tern's tests share: polling until a
// condition holds, and loggers for tests.
//
// It is for tests only: no non-test code may import it. It imports the
// standard library only, so the tests of every package, core and
// carriers included, may use it without breaking the import rules.
package testkit
