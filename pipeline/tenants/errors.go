package tenants

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound: no such tenant or key.
	ErrNotFound = errors.New("not found")
	// ErrExists: a tenant with that id exists already.
	ErrExists = errors.New("already exists")
	// ErrNumberTaken: a number is another tenant's sender already; a
	// number belongs to one tenant, which its replies go to.
	ErrNumberTaken = errors.New("number belongs to another tenant")
)

// FieldError says which input field is wrong and why; its text names the
// field and never quotes secrets.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
