package smpp

import "sync/atomic"

// ClientStats are a client's counters since NewClient.
type ClientStats struct {
	// Bound is how many sessions are bound now; Binds counts successful
	// binds, reconnects included.
	Bound int
	Binds uint64
	// Submitted counts submit_sm written, retries included; Throttled
	// and QueueFull those answered ESME_RTHROTTLED and ESME_RMSGQFUL.
	Submitted, Throttled, QueueFull uint64
	// InDoubt counts parts written whose answer never came.
	InDoubt uint64
	// Rate is the submit rate limit in force, in submit_sm per second:
	// the TPS cap, or less after throttling; 0 when none applies.
	Rate float64
	// Waiting is how many parts wait for a bind to send them.
	Waiting int
}

type clientCounters struct {
	bound                           atomic.Int64
	binds                           atomic.Uint64
	submitted, throttled, queueFull atomic.Uint64
	inDoubt                         atomic.Uint64
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() ClientStats {
	return ClientStats{
		Bound:     int(c.stats.bound.Load()),
		Binds:     c.stats.binds.Load(),
		Submitted: c.stats.submitted.Load(),
		Throttled: c.stats.throttled.Load(),
		QueueFull: c.stats.queueFull.Load(),
		InDoubt:   c.stats.inDoubt.Load(),
		Rate:      c.limiter.current(),
		Waiting:   c.queue.len(),
	}
}
