package router

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core/testkit"
)

const (
	testFailures    = 3
	testOpenTimeout = 500 * time.Millisecond
)

// tripPrimary makes primary's SMSC stop answering and submits through
// Pick until the route fails over, returning how many submits failed on
// primary.
func tripPrimary(t *testing.T, r *Router, stop func()) int {
	t.Helper()
	stop()
	failures := 0
	for i := 0; ; i++ {
		c, err := r.Pick("+4915100000000")
		if err != nil || c.Name() != "primary" {
			return failures
		}
		name, err := send(t, r, "+4915100000000", fmt.Sprintf("doomed %d", i))
		if err == nil {
			t.Fatalf("submit %d through the silent %s succeeded", i, name)
		}
		if !errors.Is(err, carriers.ErrInDoubt) && !errors.Is(err, carriers.ErrUnavailable) {
			t.Fatalf("submit %d through the silent SMSC: %v, want in doubt or unavailable", i, err)
		}
		failures++
		if failures > testFailures {
			t.Fatalf("%d failures and the breaker is %s", failures, r.State("primary"))
		}
	}
}

// TestFailoverAndBack is the acceptance: the primary SMSC stops
// answering, its breaker opens within the configured failures, the
// failover SMSC takes the traffic, and when the primary answers again a
// probe closes its breaker and traffic returns.
func TestFailoverAndBack(t *testing.T) {
	t.Parallel()
	simA, simB := startSim(t), startSim(t)
	reg := prometheus.NewRegistry()
	r := newSMPPRouter(t, Config{
		Carriers: []CarrierConfig{simCarrier(t, "primary", simA), simCarrier(t, "backup", simB)},
		Routes:   []Route{route("+49=primary,backup")},
		Breaker:  BreakerConfig{Failures: testFailures, OpenTimeout: testOpenTimeout},
	}, WithRegisterer(reg))
	waitBound(t, r)
	if name, err := send(t, r, "+4915100000001", "before"); name != "primary" || err != nil {
		t.Fatalf("before the fault: %s, %v", name, err)
	}

	if n := tripPrimary(t, r, func() { simA.SetSilent(true) }); n != testFailures {
		t.Errorf("breaker opened after %d failures, want %d", n, testFailures)
	}
	if s := r.State("primary"); s != BreakerOpen {
		t.Fatalf("primary breaker %s, want open", s)
	}

	// The failover takes the traffic, every message exactly once.
	for i := range 20 {
		to, text := fmt.Sprintf("+49151000001%02d", i), "while open"
		name, err := send(t, r, to, text)
		if name != "backup" || err != nil {
			t.Fatalf("message %d while primary is open: %s, %v", i, name, err)
		}
		if a, b := simA.Submits(to, text), simB.Submits(to, text); a != 0 || b != 1 {
			t.Fatalf("message %d taken %d times by primary and %d by backup", i, a, b)
		}
	}

	// Primary answers again: after the open timeout a probe goes through
	// and closes the breaker. Until then traffic keeps going to backup.
	simA.SetSilent(false)
	i := 0
	testkit.Eventually(t, 10*time.Second, func() error {
		i++
		to, text := fmt.Sprintf("+491510000030%d", i%10), fmt.Sprintf("recovering %d", i)
		name, err := send(t, r, to, text)
		switch {
		case name == "backup" && err != nil:
			t.Fatalf("backup failed during recovery: %v", err)
		case name != "primary":
			return fmt.Errorf("still sent to %s", name)
		case err != nil:
			return fmt.Errorf("probe: %w", err)
		}
		return nil
	})
	if s := r.State("primary"); s != BreakerClosed {
		t.Errorf("primary breaker %s after a successful probe, want closed", s)
	}
	if name, err := send(t, r, "+4915100000002", "after"); name != "primary" || err != nil {
		t.Fatalf("after recovery: %s, %v", name, err)
	}
	if simA.Submits("+4915100000002", "after") != 1 {
		t.Error("primary did not take the message after recovery")
	}

	got := transitions(t, reg, "primary")
	if got["closed>open"] < 1 || got["open>half-open"] < 1 || got["half-open>closed"] != 1 {
		t.Errorf("primary transitions %v", got)
	}
	if n := histogramCount(t, reg, "backup", "ok"); n < 20 {
		t.Errorf("backup ok latency samples = %d, want ≥ 20", n)
	}
}

// TestNoFailoverWaits: with no failover, Pick reports the route
// unavailable while the breaker is open, and the primary again once it
// recovered.
func TestNoFailoverWaits(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	r := newSMPPRouter(t, Config{
		Carriers: []CarrierConfig{simCarrier(t, "primary", sim)},
		Breaker:  BreakerConfig{Failures: testFailures, OpenTimeout: testOpenTimeout},
	})
	waitBound(t, r)
	if n := tripPrimary(t, r, func() { sim.SetSilent(true) }); n != testFailures {
		t.Errorf("breaker opened after %d failures, want %d", n, testFailures)
	}
	_, err := r.Pick("+4915100000001")
	var backoff *carriers.BackoffError
	if !errors.Is(err, carriers.ErrUnavailable) || !errors.As(err, &backoff) || backoff.Wait <= 0 || backoff.Wait > testOpenTimeout {
		t.Fatalf("Pick while open: %v, want ErrUnavailable with a wait up to %v", err, testOpenTimeout)
	}

	sim.SetSilent(false)
	i := 0
	testkit.Eventually(t, 10*time.Second, func() error {
		i++
		name, err := send(t, r, "+4915100000001", fmt.Sprintf("retry %d", i))
		if err != nil {
			return err
		}
		if name != "primary" {
			return fmt.Errorf("sent to %s", name)
		}
		return nil
	})
	if s := r.State("primary"); s != BreakerClosed {
		t.Errorf("breaker %s after recovery, want closed", s)
	}
}

// TestRefusalsDoNotOpen: an SMSC refusing every message as an invalid
// destination is working, and keeps its traffic; one answering
// ESME_RSYSERR to everything is not, and loses it.
func TestRefusalsDoNotOpen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   smpp.CommandStatus
		wantOpen bool
	}{
		{"invalid destination", smpp.StatusInvalidDestAddr, false},
		{"system error", smpp.StatusSystemError, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			simA, simB := startSim(t), startSim(t)
			r := newSMPPRouter(t, Config{
				Carriers: []CarrierConfig{simCarrier(t, "primary", simA), simCarrier(t, "backup", simB)},
				Routes:   []Route{route("*=primary,backup")},
				Breaker:  BreakerConfig{Failures: testFailures, OpenTimeout: time.Minute},
			})
			waitBound(t, r)
			simA.SetErrors(1, tt.status, 0)
			for i := range testFailures {
				name, err := send(t, r, "+4915100000001", fmt.Sprintf("refused %d", i))
				if name != "primary" || !errors.Is(err, tt.status) {
					t.Fatalf("submit %d: %s, %v; want primary refusing with %s", i, name, err, tt.status)
				}
			}
			for i := range testFailures {
				name, err := send(t, r, "+4915100000001", fmt.Sprintf("after %d", i))
				switch {
				case tt.wantOpen && (name != "backup" || err != nil):
					t.Fatalf("after %d × %s: %s, %v; want backup", testFailures, tt.status, name, err)
				case !tt.wantOpen && (name != "primary" || !errors.Is(err, tt.status)):
					t.Fatalf("after %d × %s: %s, %v; want primary", testFailures, tt.status, name, err)
				}
			}
			if want := map[bool]BreakerState{true: BreakerOpen, false: BreakerClosed}[tt.wantOpen]; r.State("primary") != want {
				t.Errorf("primary breaker %s, want %s", r.State("primary"), want)
			}
		})
	}
}
