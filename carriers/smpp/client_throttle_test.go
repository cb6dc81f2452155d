package smpp_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
)

// TestThrottledSubmitsAreRetried checks that ESME_RTHROTTLED never
// reaches the caller while its context allows a retry, and that no
// message is taken twice.
func TestThrottledSubmitsAreRetried(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{MaxPending: 2, Latency: 20 * time.Millisecond})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), Window: 32, ThrottlePause: 10 * time.Millisecond})
	const n = 24
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = c.Submit(t.Context(), &carriers.Submission{To: fmt.Sprintf("+4915100%06d", i), Text: "retry me"})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("submit %d: %v", i, err)
		}
		if got := sim.Submits(fmt.Sprintf("+4915100%06d", i), "retry me"); got != 1 {
			t.Errorf("message %d taken %d times", i, got)
		}
	}
	if c.Stats().Throttled == 0 {
		t.Error("the simulator never throttled: the test proves nothing")
	}
}

// TestThrottledUntilContextEnds checks what a caller hears when the
// carrier keeps throttling past its deadline: a retriable BackoffError
// with the status, never in doubt, and the message not taken.
func TestThrottledUntilContextEnds(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{ThrottleRate: 0.5, ThrottleBurst: 1})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), ThrottlePause: 20 * time.Millisecond})
	if _, err := c.Submit(t.Context(), &carriers.Submission{To: "+4915100000001", Text: "first"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Submit(ctx, &carriers.Submission{To: "+4915100000002", Text: "second"})
	var b *carriers.BackoffError
	if !errors.As(err, &b) || !errors.Is(err, smpp.StatusThrottled) || !carriers.IsRetriable(err) || errors.Is(err, carriers.ErrInDoubt) {
		t.Fatalf("got %v, want a retriable BackoffError for ESME_RTHROTTLED", err)
	}
	if got := sim.Submits("+4915100000002", "second"); got != 0 {
		t.Errorf("throttled message counted %d times", got)
	}
	if st := sim.Stats(); st.Throttled < 2 {
		t.Errorf("simulator throttled %d times, want a few", st.Throttled)
	}
}

// TestThrottleAdaptation is the acceptance: the simulator
// throttles above R submits a second, below the configured TPS. After 30
// seconds the client has had at least 0.8 R accepted a second, at most 5%
// of its attempts were throttled, and every message was taken exactly
// once.
func TestThrottleAdaptation(t *testing.T) {
	if testing.Short() {
		t.Skip("30 seconds")
	}
	t.Parallel()
	const (
		r       = 200.0 // the simulator's limit
		tps     = 400.0 // the configured cap, above it
		run     = 30 * time.Second
		workers = 64
	)
	sim := startSim(t, smscsim.Config{ThrottleRate: r})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), TPS: tps, Window: 100})

	start := time.Now()
	stop := time.After(run)
	var (
		mu       sync.Mutex
		accepted []time.Duration
		sent     []string
		failed   []error
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	quit := make(chan struct{})
	for range workers {
		wg.Go(func() {
			for {
				select {
				case <-quit:
					return
				default:
				}
				i := next.Add(1)
				to := fmt.Sprintf("+4917%08d", i)
				_, err := c.Submit(t.Context(), &carriers.Submission{To: to, Text: "adaptive"})
				mu.Lock()
				if err != nil {
					failed = append(failed, err)
				} else {
					accepted = append(accepted, time.Since(start))
					sent = append(sent, to)
				}
				mu.Unlock()
			}
		})
	}
	<-stop
	close(quit)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	for _, err := range failed {
		t.Errorf("submit failed: %v", err)
	}
	inRun := 0
	for _, at := range accepted {
		if at <= run {
			inRun++
		}
	}
	rate := float64(inRun) / run.Seconds()
	st := sim.Stats()
	share := float64(st.Throttled) / float64(st.Received)
	t.Logf("accepted %.1f/s (limit %.0f/s), %d of %d attempts throttled (%.2f%%), client rate now %.1f/s",
		rate, r, st.Throttled, st.Received, 100*share, c.Stats().Rate)
	if rate < 0.8*r {
		t.Errorf("accepted %.1f submits a second, want at least %.0f", rate, 0.8*r)
	}
	if share > 0.05 {
		t.Errorf("%.2f%% of attempts throttled, want at most 5%%", 100*share)
	}
	if got := sim.TotalSubmits(); got != len(sent) {
		t.Errorf("simulator took %d messages, client had %d accepted", got, len(sent))
	}
	for _, to := range sent {
		if n := sim.Submits(to, "adaptive"); n != 1 {
			t.Fatalf("message to %s taken %d times", to, n)
		}
	}
}

// TestTPSCap checks that several binds together stay under the cap.
func TestTPSCap(t *testing.T) {
	t.Parallel()
	const tps = 100
	sim := startSim(t, smscsim.Config{})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), TPS: tps, Binds: 3})
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := c.Stats().Bound; n != 3 {
			return fmt.Errorf("%d binds up", n)
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	start := time.Now()
	var n atomic.Int64
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				if _, err := c.Submit(ctx, &carriers.Submission{To: fmt.Sprintf("+4930%03d%05d", w, i), Text: "capped"}); err == nil {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	got := float64(n.Load())
	// The schedule allows a hundredth of a second's burst on top.
	if max := tps*elapsed + 2; got > max {
		t.Errorf("%v submits in %.2fs, cap allows %.0f", got, elapsed, max)
	}
	if min := 0.8 * tps * elapsed; got < min {
		t.Errorf("%v submits in %.2fs, want close to the cap (%.0f)", got, elapsed, min)
	}
}

// TestUrgentSubmitsGoFirst: while a campaign's submissions wait for the
// TPS cap, a login code goes out ahead of them instead of behind.
func TestUrgentSubmitsGoFirst(t *testing.T) {
	t.Parallel()
	const tps, bulk = 20, 40
	sim := startSim(t, smscsim.Config{})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), TPS: tps})
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := c.Stats().Bound; n != 1 {
			return fmt.Errorf("%d binds up", n)
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var done atomic.Int64
	var wg sync.WaitGroup
	for i := range bulk {
		wg.Go(func() {
			if _, err := c.Submit(ctx, &carriers.Submission{To: fmt.Sprintf("+4930%07d", i), Text: "Weekend offer", Priority: carriers.PriorityBulk}); err != nil {
				t.Errorf("bulk submit %d: %v", i, err)
			}
			done.Add(1)
		})
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := c.Stats().Waiting; n < bulk/2 {
			return fmt.Errorf("%d submissions waiting", n)
		}
		return nil
	})
	if _, err := c.Submit(ctx, &carriers.Submission{To: "+49301234567", Text: "Your code is 123456", Priority: carriers.PriorityUrgent}); err != nil {
		t.Fatal(err)
	}
	before := done.Load()
	wg.Wait()
	// At most the one taken from the queue and waiting for its turn when
	// the urgent one came, and the ones already on the wire, go before it.
	if before > bulk/4 {
		t.Fatalf("%d of %d submissions queued before the urgent one went out before it, want at most %d", before, bulk, bulk/4)
	}
	t.Logf("%d of %d earlier submissions went out before the urgent one", before, bulk)
}
