package smpp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
)

// TestSilentSMSCDetected is the acceptance: a simulator that
// stops answering is dropped within the keepalive interval plus the
// response timeout, and the client binds again once it answers.
func TestSilentSMSCDetected(t *testing.T) {
	t.Parallel()
	const (
		keepalive = 300 * time.Millisecond
		timeout   = 200 * time.Millisecond
	)
	sim := startSim(t, smscsim.Config{})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), EnquireLink: keepalive, RequestTimeout: timeout, ReconnectMin: 20 * time.Millisecond})
	if _, err := c.Submit(t.Context(), &carriers.Submission{To: "+4915200000001", Text: "before"}); err != nil {
		t.Fatal(err)
	}
	sim.SetSilent(true)
	start := time.Now()
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := c.Stats().Bound; n != 0 {
			return fmt.Errorf("%d binds still up", n)
		}
		return nil
	})
	// The sweeper checks every quarter of the timeout; allow scheduling.
	if took, limit := time.Since(start), keepalive+timeout+timeout/4+150*time.Millisecond; took > limit {
		t.Errorf("silent SMSC detected after %v, want within %v", took, limit)
	}
	sim.SetSilent(false)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := c.Submit(ctx, &carriers.Submission{To: "+4915200000002", Text: "after"}); err != nil {
		t.Fatalf("submit once the SMSC answers again: %v", err)
	}
}

// countingDialer counts dial attempts to addr.
type countingDialer struct{ n atomic.Int64 }

func (d *countingDialer) dial(ctx context.Context, addr string) (net.Conn, error) {
	d.n.Add(1)
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", addr)
}

// submitLoop submits unique messages from workers until stop closes and
// records what each one ended as.
type submitLoop struct {
	mu       sync.Mutex
	accepted []string // destinations
	inDoubt  []string
	other    map[string]error
	next     atomic.Int64
	wg       sync.WaitGroup
}

func runSubmitLoop(t *testing.T, c *smpp.Client, workers int, text string, stop <-chan struct{}) *submitLoop {
	l := &submitLoop{other: map[string]error{}}
	for range workers {
		l.wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				to := fmt.Sprintf("+4916%08d", l.next.Add(1))
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				_, err := c.Submit(ctx, &carriers.Submission{To: to, Text: text})
				cancel()
				l.mu.Lock()
				switch {
				case err == nil:
					l.accepted = append(l.accepted, to)
				case errors.Is(err, carriers.ErrInDoubt):
					l.inDoubt = append(l.inDoubt, to)
				default:
					l.other[to] = err
				}
				l.mu.Unlock()
			}
		})
	}
	return l
}

// check verifies that the simulators together took every accepted
// message exactly once, in-doubt ones at most once, and others never.
func (l *submitLoop) check(t *testing.T, text string, sims ...*smscsim.Server) {
	t.Helper()
	l.wg.Wait()
	taken := func(to string) int {
		n := 0
		for _, s := range sims {
			n += s.Submits(to, text)
		}
		return n
	}
	for _, to := range l.accepted {
		if n := taken(to); n != 1 {
			t.Errorf("accepted message to %s taken %d times", to, n)
		}
	}
	for _, to := range l.inDoubt {
		if n := taken(to); n > 1 {
			t.Errorf("in-doubt message to %s taken %d times", to, n)
		}
	}
	for to, err := range l.other {
		if n := taken(to); n != 0 {
			t.Errorf("message to %s failed (%v) but was taken %d times", to, err, n)
		}
	}
}

// TestSimulatorKilledAndRestarted is the acceptance: with
// submits flowing on two binds the simulator dies and comes back; the
// client rebinds with backoff, and every message ends accepted or in
// doubt.
func TestSimulatorKilledAndRestarted(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{Latency: 2 * time.Millisecond})
	addr := sim.Addr()
	var d countingDialer
	c := startClient(t, smpp.ClientConfig{Addr: addr, Binds: 2, ReconnectMin: 50 * time.Millisecond, ReconnectMax: 400 * time.Millisecond},
		smpp.WithDialer(d.dial))
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := c.Stats().Bound; n != 2 {
			return fmt.Errorf("%d binds", n)
		}
		return nil
	})
	stop := make(chan struct{})
	loop := runSubmitLoop(t, c, 16, "restart", stop)
	time.Sleep(200 * time.Millisecond)
	sim.Close()
	dialsAtKill := d.n.Load()
	const outage = 800 * time.Millisecond
	time.Sleep(outage)
	dialsInOutage := d.n.Load() - dialsAtKill
	sim2 := startSim(t, smscsim.Config{Addr: addr, Latency: 2 * time.Millisecond})
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := c.Stats().Bound; n != 2 {
			return fmt.Errorf("%d binds after the restart", n)
		}
		return nil
	})
	time.Sleep(200 * time.Millisecond)
	close(stop)
	loop.check(t, "restart", sim, sim2)

	t.Logf("accepted %d, in doubt %d, other %d; %d dials while down", len(loop.accepted), len(loop.inDoubt), len(loop.other), dialsInOutage)
	for to, err := range loop.other {
		t.Errorf("message to %s neither accepted nor in doubt: %v", to, err)
	}
	if len(loop.accepted) == 0 || sim2.TotalSubmits() == 0 {
		t.Error("nothing went through the restarted simulator")
	}
	// Backoff from 50ms doubling to 400ms: about 5 attempts a bind in
	// 800ms, not a storm.
	if dialsInOutage > 2*6 {
		t.Errorf("%d dial attempts by 2 binds in %v of outage", dialsInOutage, outage)
	}
	if dialsInOutage < 2 {
		t.Errorf("%d dial attempts while down: the client did not try again", dialsInOutage)
	}
}

// TestSessionsDropped checks that periodic connection drops lose
// nothing: every message ends accepted, or in doubt when its answer was
// cut.
func TestSessionsDropped(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{DropEvery: 150 * time.Millisecond, Latency: time.Millisecond})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), Binds: 2, ReconnectMin: 10 * time.Millisecond, ReconnectMax: 50 * time.Millisecond})
	stop := make(chan struct{})
	loop := runSubmitLoop(t, c, 8, "dropped", stop)
	time.Sleep(time.Second)
	close(stop)
	loop.check(t, "dropped", sim)
	for to, err := range loop.other {
		t.Errorf("message to %s neither accepted nor in doubt: %v", to, err)
	}
	if st := sim.Stats(); st.Dropped < 3 {
		t.Errorf("simulator dropped %d sessions, want several", st.Dropped)
	}
	if c.Stats().Binds < 4 {
		t.Errorf("client bound %d times, want rebinds", c.Stats().Binds)
	}
}

// TestInjectedErrors checks errors answered for a period: ESME_RSYSERR
// reaches the caller as retriable, ESME_RMSGQFUL as retriable after the
// client's QueueFullRetry, and nothing refused is counted as taken.
func TestInjectedErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status smpp.CommandStatus
		ratio  float64
		// wait: the BackoffError's wait, 0 for none.
		wait time.Duration
	}{
		{"system error", smpp.StatusSystemError, 0.3, 0},
		{"queue full", smpp.StatusMessageQueueFull, 0.3, 5 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, smscsim.Config{Seed: 5})
			c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), QueueFullRetry: 5 * time.Millisecond})
			sim.SetErrors(tt.ratio, tt.status, 500*time.Millisecond)
			const n = 60
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					_, errs[i] = c.Submit(t.Context(), &carriers.Submission{To: fmt.Sprintf("+4917%06d", i), Text: tt.name})
				})
			}
			wg.Wait()
			failed := 0
			for i, err := range errs {
				taken := sim.Submits(fmt.Sprintf("+4917%06d", i), tt.name)
				if err == nil {
					if taken != 1 {
						t.Errorf("message %d accepted, taken %d times", i, taken)
					}
					continue
				}
				failed++
				if !errors.Is(err, tt.status) || !carriers.IsRetriable(err) || errors.Is(err, carriers.ErrInDoubt) {
					t.Errorf("message %d: %v, want retriable %v", i, err, tt.status)
				}
				var b *carriers.BackoffError
				if got := errors.As(err, &b); got != (tt.wait > 0) || (got && b.Wait != tt.wait) {
					t.Errorf("message %d: %v, want a wait of %v", i, err, tt.wait)
				}
				if taken != 0 {
					t.Errorf("message %d refused but taken %d times", i, taken)
				}
			}
			injected := sim.Stats().Injected
			if injected == 0 {
				t.Fatal("nothing injected")
			}
			if failed != injected {
				t.Errorf("%d failures for %d refusals", failed, injected)
			}
			// After the period everything goes through.
			time.Sleep(600 * time.Millisecond)
			if _, err := c.Submit(t.Context(), &carriers.Submission{To: "+4917999999", Text: tt.name}); err != nil {
				t.Errorf("after the period: %v", err)
			}
		})
	}
}

// TestWindowPerBind checks that no bind ever has more than its window
// in flight while several binds share the load.
func TestWindowPerBind(t *testing.T) {
	t.Parallel()
	const window, binds = 4, 3
	sim := startSim(t, smscsim.Config{Latency: 15 * time.Millisecond, LatencyP99: 40 * time.Millisecond})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), Window: window, Binds: binds})
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := c.Stats().Bound; n != binds {
			return fmt.Errorf("%d binds", n)
		}
		return nil
	})
	var wg sync.WaitGroup
	for w := range 48 {
		wg.Go(func() {
			for i := range 5 {
				if _, err := c.Submit(t.Context(), &carriers.Submission{To: fmt.Sprintf("+3162%03d%03d", w, i), Text: "window"}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if st := sim.Stats(); st.MaxInFlight > window || st.MaxInFlight < window-1 {
		t.Errorf("at most %d in flight on one session, window is %d", st.MaxInFlight, window)
	}
}

// TestTransmitterAndReceiver checks the split bind mode: submits on
// transmitters, receipts on the receiver.
func TestTransmitterAndReceiver(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{})
	rs := newReceipts()
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), Mode: smpp.BindTransmitterReceiver, Binds: 2, Receivers: 1},
		smpp.WithReceiptHandler(rs.handle))
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := sim.Stats().Binds; n != 3 {
			return fmt.Errorf("%d binds", n)
		}
		return nil
	})
	var ids []string
	for i := range 10 {
		acc, err := c.Submit(t.Context(), &carriers.Submission{To: fmt.Sprintf("+4915300000%02d", i), Text: "split", RegisteredDelivery: true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, acc.IDs...)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		for _, id := range ids {
			if len(rs.get(id)) == 0 {
				return fmt.Errorf("no receipt for %s", id)
			}
		}
		return nil
	})
}

// TestSubmitKeepsItsDeadline checks that a Submit returns when its
// context ends even while its connection dies under it and no bind comes
// back for a while.
func TestSubmitKeepsItsDeadline(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{DropEvery: 20 * time.Millisecond, Latency: 5 * time.Millisecond})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), Binds: 2, ReconnectMin: 300 * time.Millisecond, ReconnectMax: 600 * time.Millisecond})
	const timeout = 100 * time.Millisecond
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			end := time.Now().Add(time.Second)
			for i := 0; time.Now().Before(end); i++ {
				ctx, cancel := context.WithTimeout(t.Context(), timeout)
				start := time.Now()
				_, err := c.Submit(ctx, &carriers.Submission{To: fmt.Sprintf("+4918%03d%05d", w, i), Text: "deadline"})
				cancel()
				if took := time.Since(start); took > timeout+200*time.Millisecond {
					t.Errorf("Submit took %v with a %v deadline (%v)", took, timeout, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
