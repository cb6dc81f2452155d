package commerce

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid store event")
	// ErrSignature: a webhook's signature is missing or does not match
	// the body under the store's secret.
	ErrSignature = errors.New("webhook signature does not match")
	// ErrTopic: a webhook topic tern does not act on. Nothing is wrong
	// with the request; it is acknowledged and ignored.
	ErrTopic = errors.New("webhook topic not handled")
)

// FieldError says which field of an event or payload is wrong and why.
// Its text names the field and never quotes a phone number.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
