// Package carriers defines what tern needs from a carrier connection: hand
// over a message and learn, later, what happened to it. Implementations
// live in sub-packages (smpp for SMPP 3.4 carriers, smscsim for the
// simulator SMSC used in development and tests).
//
// This package holds only the contract and the error classification the
// pipeline's retry and breaker logic read. It does not route, retry or
// store anything.
package carriers
