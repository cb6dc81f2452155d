package gateway

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestThroughputChargesEachDestination: a submit_multi costs the
// account's throughput one message per destination, also beyond what the
// limiter holds at once: later submits wait until it is paid.
func TestThroughputChargesEachDestination(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &accountState{}
		st.setLimit(10, share{1, 1}) // 10 a second
		if !st.allow(50) {
			t.Fatal("a submit_multi to 50 destinations refused with the throughput unused")
		}
		time.Sleep(time.Second) // 10 more
		if st.allow(1) {
			t.Fatal("a submit taken 1 s after a submit_multi to 50 at 10/s: the cap charged it fewer than 50")
		}
		time.Sleep(4 * time.Second) // 50 in all
		if !st.allow(1) {
			t.Fatal("a submit refused 5 s after a submit_multi to 50 at 10/s")
		}
		if st.allow(10) {
			t.Fatal("10 more taken at once")
		}
	})
}
