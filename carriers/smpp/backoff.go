package smpp

import (
	"math/rand/v2"
	"time"
)

// backoff is the wait between reconnects: exponential from min to max,
// each wait drawn uniformly from its upper half ("equal jitter"), so that
// binds that lost their SMSC together do not come back together. It
// resets only once a bind has stayed up a while (see Client.keepBound),
// so a bind that comes up and drops at once keeps backing off.
type backoff struct {
	min, max time.Duration
	attempt  int
	rand     func() float64 // in [0, 1)
}

func newBackoff(min, max time.Duration) *backoff {
	return &backoff{min: min, max: max, rand: rand.Float64}
}

// next returns the wait before the next attempt and counts the attempt.
func (b *backoff) next() time.Duration {
	d := b.max
	if b.attempt < 62 && b.min <= b.max>>b.attempt {
		d = b.min << b.attempt
	}
	b.attempt++
	return d/2 + time.Duration(b.rand()*float64(d/2))
}

func (b *backoff) reset() { b.attempt = 0 }
