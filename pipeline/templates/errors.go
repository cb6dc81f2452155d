package templates

import "errors"

var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid template")
	// ErrNotFound: no such template or version for the tenant.
	ErrNotFound = errors.New("template not found")
	// ErrExists: another template has the name.
	ErrExists = errors.New("template name already used")
)

// FieldError names what is wrong with a template.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
