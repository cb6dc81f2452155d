package storeevents

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid store setting")
	// ErrNoSecret: the tenant has no secret for the platform, so no
	// webhook of it can be verified.
	ErrNoSecret = errors.New("no webhook secret for this store platform")
	// ErrUnavailable wraps failures to record or produce: nothing was
	// acknowledged and the caller may retry.
	ErrUnavailable = errors.New("store events unavailable")
)

// FieldError names a bad field of a setting.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func (e *FieldError) Unwrap() error { return ErrInvalid }
