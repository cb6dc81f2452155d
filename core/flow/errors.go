package flow

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid flow setting")
	// ErrUnknownFlow: no flow of the catalogue has the id.
	ErrUnknownFlow = errors.New("no such flow")
	// ErrLoop: a run went through more steps at once than a flow has,
	// so its branches loop.
	ErrLoop = errors.New("flow steps loop")
)

// FieldError says which setting is wrong and why, e.g.
// "templates.reminder: variable "x" is not one a flow offers".
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
