package consent

import (
	"sync"
	"time"
)

// ReasonFrequencyCap is the reason a marketing message over its tenant's
// cap ends FAILED with.
const ReasonFrequencyCap = "frequency cap"

// Counter counts the marketing messages sent to each recipient within a
// sliding window, for a FrequencyCap. Messages to one recipient share one
// partition of the marketing lane, so the actor owning that partition
// sees them all: one Counter per instance, filled as messages go and
// rebuilt from the delivery ledger when a partition is assigned. Memory
// is bounded by Max timestamps per recipient with recent sends. Safe for
// concurrent use.
type Counter struct {
	mu   sync.Mutex
	sent map[string][]time.Time // key -> send times, oldest first
}

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return &Counter{sent: map[string][]time.Time{}} }

// Check tells whether one more marketing message may go to key at now
// under c; when not, next is when the oldest counted send leaves the
// window. A zero cap allows everything.
func (c *Counter) Check(key string, cp FrequencyCap, now time.Time) (ok bool, next time.Time) {
	if cp.Max <= 0 {
		return true, time.Time{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.recent(key, time.Duration(cp.Window), now)
	if len(ts) < cp.Max {
		return true, time.Time{}
	}
	return false, ts[len(ts)-cp.Max].Add(time.Duration(cp.Window))
}

// Add counts a message sent to key at at, keeping at most cp.Max.
func (c *Counter) Add(key string, cp FrequencyCap, at time.Time) {
	if cp.Max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := append(c.recent(key, time.Duration(cp.Window), at), at)
	if len(ts) > cp.Max {
		ts = ts[len(ts)-cp.Max:]
	}
	c.sent[key] = ts
}

// recent drops key's sends older than window before now and returns the
// rest. Callers hold mu.
func (c *Counter) recent(key string, window time.Duration, now time.Time) []time.Time {
	ts := c.sent[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-window)) {
		i++
	}
	if i == len(ts) {
		delete(c.sent, key)
		return nil
	}
	ts = ts[i:]
	c.sent[key] = ts
	return ts
}

// Prune forgets every recipient with no send within window before now.
func (c *Counter) Prune(window time.Duration, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.sent {
		c.recent(k, window, now)
	}
}

// Len is how many recipients the counter holds.
func (c *Counter) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sent)
}
