package pipeline

import (
	"math/rand/v2"
	"time"
)

// Backoff is an exponential backoff with full jitter.
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
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d/2 + rand.N(d/2+1)
}
