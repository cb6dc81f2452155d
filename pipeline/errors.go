package pipeline

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid request")
	// ErrClosed is returned by an Intake after Close.
	ErrClosed = errors.New("intake closed")
	// ErrKeyConflict is wrapped by the *FieldError of a request whose
	// idempotency key was first used for a different message.
	ErrKeyConflict = errors.New("idempotency key conflict")
	// ErrQueueUnavailable wraps produce failures: Kafka did not take the
	// message, so nothing was queued and the caller may retry.
	ErrQueueUnavailable = errors.New("message queue unavailable")
)

// FieldError says which request field is wrong and why. Its text reaches
// clients: it never quotes the field's value. It wraps Kind, or ErrInvalid
// when Kind is nil.
type FieldError struct {
	Field  string
	Reason string
	Kind   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func (e *FieldError) Unwrap() error {
	if e.Kind != nil {
		return e.Kind
	}
	return ErrInvalid
}
