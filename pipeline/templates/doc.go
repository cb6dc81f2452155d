// Package templates stores a tenant's message templates in PostgreSQL:
// immutable versions, each with a default text, language variants,
// declared variables and a category. A campaign names a template and the
// version it was created with, so changing a template never changes what
// a running campaign sends.
//
// Rendering is core/campaign's and core/tmpl's; this package checks that
// a version compiles before storing it.
package templates
