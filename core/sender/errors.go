package sender

import (
	"errors"
	"fmt"
)

var (
	// ErrNotAllowed is wrapped by the *Error of a sender id of a kind the
	// destination country does not accept.
	ErrNotAllowed = errors.New("sender id kind not allowed")
	// ErrNotRegistered is wrapped by the *Error of an alphanumeric id the
	// destination country accepts only once registered, and that is not.
	ErrNotRegistered = errors.New("sender id not registered")
	// ErrMalformed is wrapped by the *Error of a sender id that is no kind
	// at all.
	ErrMalformed = errors.New("malformed sender id")
)

// Error says why a sender id may not be used towards a destination. Its
// text names the field and the rule, e.g. "from: alphanumeric sender ids
// are not allowed for US (numbers only)", and never quotes the id.
type Error struct {
	// Reason is the text after "from: ".
	Reason string
	// Kind is ErrNotAllowed, ErrNotRegistered or ErrMalformed.
	Kind error
}

func (e *Error) Error() string { return fmt.Sprintf("from: %s", e.Reason) }

func (e *Error) Unwrap() error { return e.Kind }
