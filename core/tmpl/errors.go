package tmpl

import "errors"

var (
	// ErrSyntax is returned for a malformed placeholder.
	ErrSyntax = errors.New("template syntax error")
	// ErrUndeclared is returned at creation for a placeholder whose
	// variable is not declared.
	ErrUndeclared = errors.New("undeclared template variable")
	// ErrVar is returned for a bad declaration: an invalid or repeated
	// name, or a negative maximum length.
	ErrVar = errors.New("invalid template variable")
	// ErrMissing is returned at render for a variable with neither a
	// value nor a default.
	ErrMissing = errors.New("missing template value")
	// ErrTooLong is returned at render for a value longer than its
	// variable's declared maximum.
	ErrTooLong = errors.New("template value too long")
	// ErrUnbounded is returned by Worst when a variable used in the text
	// declares no maximum length.
	ErrUnbounded = errors.New("template variable has no maximum length")
)
