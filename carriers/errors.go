package carriers

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrInDoubt means a submit went on the wire but its answer never came
	// (connection lost, peer silent): the carrier may or may not have the
	// message. It is neither success nor failure.
	ErrInDoubt = errors.New("submit outcome unknown")
	// ErrClosed is returned by a carrier after Close.
	ErrClosed = errors.New("carrier closed")
	// ErrUnavailable means no connection to the carrier is usable now.
	ErrUnavailable = errors.New("carrier unavailable")
)

// Retriable is implemented by errors that know whether trying again later
// may succeed, such as an SMPP command_status.
type Retriable interface {
	Retriable() bool
}

// IsRetriable reports whether err is temporary: the same submit may succeed
// later. Unclassified errors are not retriable; ErrUnavailable and
// *BackoffError are.
func IsRetriable(err error) bool {
	if err == nil {
		return false
	}
	var b *BackoffError
	if errors.As(err, &b) || errors.Is(err, ErrUnavailable) {
		return true
	}
	var r Retriable
	if errors.As(err, &r) {
		return r.Retriable()
	}
	return false
}

// BackoffError is a temporary failure that says how long to wait before
// trying again, e.g. a carrier asking to slow down.
type BackoffError struct {
	Err  error
	Wait time.Duration
}

func (e *BackoffError) Error() string { return fmt.Sprintf("%v (retry in %v)", e.Err, e.Wait) }
func (e *BackoffError) Unwrap() error { return e.Err }

// Coded is implemented by errors that carry a carrier protocol's status,
// such as an SMPP command_status.
type Coded interface {
	// StatusCode renders the status as the protocol writes it, e.g. "0x0000000B".
	StatusCode() string
}

// StatusCode returns err's protocol status, or "" when it has none.
func StatusCode(err error) string {
	var c Coded
	if errors.As(err, &c) {
		return c.StatusCode()
	}
	return ""
}

// ErrNoRoute means no carrier is configured for a destination: a
// configuration problem, reported per message.
var ErrNoRoute = errors.New("no carrier route for destination")
