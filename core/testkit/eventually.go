package testkit

import (
	"testing"
	"time"
)

// Pauses between two checks of Eventually: the first, doubled after each
// check up to the longest. A condition that holds soon is seen soon; one
// that takes seconds (a query, a process starting) is not asked more
// than ten times a second.
const (
	FirstPoll = 5 * time.Millisecond
	MaxPoll   = 100 * time.Millisecond
)

// Eventually calls cond until it returns nil. Once timeout has passed
// and cond has been checked one last time, it fails the test with cond's
// last error. It checks at once, then after pauses from FirstPoll,
// doubling up to MaxPoll.
//
// Call it on the test goroutine: it fails with t.Fatalf.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	pause := FirstPoll
	timer := time.NewTimer(0)
	timer.Stop() // it sends nothing now: each pause Resets it
	defer timer.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("condition not met within %v: %v", timeout, err)
			return
		}
		timer.Reset(min(pause, left))
		<-timer.C
		pause = min(2*pause, MaxPoll)
	}
}
