package pipeline

import (
	"time"

	"github.com/ternsms/tern/core/backoff"
)

// Backoff is the wait between tries of a failing write or submit:
// exponential backoff with equal jitter (core/backoff) from Base doubling
// up to Max, each wait drawn from the upper half of its step.
type Backoff struct {
	Base time.Duration
	Max  time.Duration
	// Attempts bounds tries of a temporarily failing submit before the
	// message fails. Carrier unavailability does not count: the message
	// waits for the carrier instead.
	Attempts int
}

// DefaultBackoff starts at 100ms, doubles up to 10s, and gives up after 8 attempts.
var DefaultBackoff = Backoff{Base: 100 * time.Millisecond, Max: 10 * time.Second, Attempts: 8}

// Delay returns the wait before attempt n (1-based) is retried.
func (b Backoff) Delay(n int) time.Duration {
	return backoff.Exponential{Base: b.Base, Max: b.Max}.Delay(n)
}
