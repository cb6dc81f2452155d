package consent

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid consent record")
	// ErrNoPending: a confirmation came for a number with no double
	// opt-in waiting (never asked, or confirmed already: a replay).
	ErrNoPending = errors.New("no double opt-in is waiting for confirmation")
	// ErrExpired: the double opt-in waited longer than its TTL.
	ErrExpired = errors.New("double opt-in confirmation expired")
)

// FieldError says which field of a consent record is wrong and why. Its
// text names the field and never quotes a phone number.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
