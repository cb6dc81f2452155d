package router

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithTimeout(context.Background(), -time.Second)
	defer cancel2()
	live := context.Background()
	tests := []struct {
		name    string
		ctx     context.Context
		err     error
		outcome string
		verdict verdict
	}{
		{"success", live, nil, "ok", working},
		{"no answer", live, fmt.Errorf("submit_sm to a: %w: %w", carriers.ErrInDoubt, smpp.ErrTimeout), "in_doubt", failing},
		{"no answer before the caller's deadline", expired, fmt.Errorf("x: %w", carriers.ErrInDoubt), "in_doubt", failing},
		{"no bind", live, fmt.Errorf("no bind to a: %w: %w", carriers.ErrUnavailable, context.DeadlineExceeded), "unavailable", failing},
		{"system error", live, fmt.Errorf("submit_sm to a: %w", smpp.StatusSystemError), "refused", failing},
		{"invalid destination", live, fmt.Errorf("submit_sm to a: %w", smpp.StatusInvalidDestAddr), "refused", working},
		{"throttled", live, &carriers.BackoffError{Err: smpp.StatusThrottled, Wait: time.Second}, "refused", neutral},
		{"queue full", live, &carriers.BackoffError{Err: smpp.StatusMessageQueueFull, Wait: time.Second}, "refused", neutral},
		{"closed", live, fmt.Errorf("x: %w", carriers.ErrClosed), "unavailable", neutral},
		{"caller cancelled while on the wire", cancelled, fmt.Errorf("x: %w", carriers.ErrInDoubt), "in_doubt", neutral},
		{"caller cancelled while waiting for a bind", cancelled, fmt.Errorf("x: %w", carriers.ErrUnavailable), "unavailable", neutral},
		{"refused before sending", live, fmt.Errorf("x: %w", smpp.ErrTooLong), "refused", neutral},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, v := classify(tt.ctx, tt.err)
			if o.String() != tt.outcome || v != tt.verdict {
				t.Errorf("classify(%v) = %s, %d; want %s, %d", tt.err, o, v, tt.outcome, tt.verdict)
			}
		})
	}
}

var errNoAnswer = fmt.Errorf("submit_sm: %w: %w", carriers.ErrInDoubt, smpp.ErrTimeout)

func noAnswer(context.Context) error { return errNoAnswer }

// submitPicked picks a carrier for to and submits through it.
func submitPicked(r *Router, to string) (string, error) {
	c, err := r.Pick(to)
	if err != nil {
		return "", err
	}
	_, err = c.Submit(context.Background(), &carriers.Submission{To: to, Text: "x"})
	return c.Name(), err
}

// TestBreakerCycle walks a breaker through its states on fake time:
// consecutive failures open it, failover takes the traffic, one probe
// at a time goes through half-open, a failed probe opens it again, a
// successful one closes it.
func TestBreakerCycle(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const open = 10 * time.Second
		reg := prometheus.NewRegistry()
		fs := fakes{}
		r, err := New(Config{
			Carriers: []CarrierConfig{carrier("primary"), carrier("backup")},
			Routes:   []Route{route("*=primary,backup")},
			Breaker:  BreakerConfig{Failures: 3, OpenTimeout: open},
		}, fs.dial, WithRegisterer(reg))
		if err != nil {
			t.Fatal(err)
		}
		primary := fs["primary"]
		const to = "+4915112345678"
		mustPick := func(want string) {
			t.Helper()
			c, err := r.Pick(to)
			if err != nil || c.Name() != want {
				t.Fatalf("Pick = %v, %v; want %s (primary %s)", c, err, want, r.State("primary"))
			}
		}

		// Failures must be consecutive: a success in between starts over.
		primary.set(noAnswer)
		for range 2 {
			submitPicked(r, to)
		}
		primary.set(nil)
		submitPicked(r, to)
		primary.set(noAnswer)
		for i := range 3 {
			mustPick("primary")
			if name, err := submitPicked(r, to); name != "primary" || !errors.Is(err, carriers.ErrInDoubt) {
				t.Fatalf("failure %d: %s, %v", i+1, name, err)
			}
		}
		if s := r.State("primary"); s != BreakerOpen {
			t.Fatalf("after 3 consecutive failures the breaker is %s", s)
		}
		calls := primary.submits()
		for range 5 {
			if name, err := submitPicked(r, to); name != "backup" || err != nil {
				t.Fatalf("while open: %s, %v; want backup", name, err)
			}
		}
		if primary.submits() != calls {
			t.Fatal("an open breaker let a submit through")
		}

		time.Sleep(open / 2)
		mustPick("backup")
		time.Sleep(open/2 + time.Millisecond)
		if s := r.State("primary"); s != BreakerHalfOpen {
			t.Fatalf("after the open timeout the breaker is %s", s)
		}

		// One probe at a time: while it is out, Pick passes over primary,
		// and a submit through primary anyway is refused without sending.
		release := make(chan error)
		primary.set(func(context.Context) error { return <-release })
		c, err := r.Pick(to)
		if err != nil || c.Name() != "primary" {
			t.Fatalf("half-open Pick = %v, %v", c, err)
		}
		probe := make(chan error, 1)
		go func() {
			_, err := c.Submit(context.Background(), &carriers.Submission{To: to})
			probe <- err
		}()
		synctest.Wait()
		mustPick("backup")
		calls = primary.submits()
		if _, err := c.Submit(context.Background(), &carriers.Submission{To: to}); !errors.Is(err, carriers.ErrUnavailable) {
			t.Fatalf("second submit while the probe is out: %v, want ErrUnavailable", err)
		}
		if primary.submits() != calls {
			t.Fatal("the refused submit reached the carrier")
		}

		// The probe fails: open again.
		release <- errNoAnswer
		if err := <-probe; !errors.Is(err, carriers.ErrInDoubt) {
			t.Fatalf("probe: %v", err)
		}
		if s := r.State("primary"); s != BreakerOpen {
			t.Fatalf("after a failed probe the breaker is %s", s)
		}
		mustPick("backup")

		// The next probe succeeds: closed, and traffic returns.
		time.Sleep(open + time.Millisecond)
		primary.set(nil)
		if name, err := submitPicked(r, to); name != "primary" || err != nil {
			t.Fatalf("probe after recovery: %s, %v", name, err)
		}
		if s := r.State("primary"); s != BreakerClosed {
			t.Fatalf("after a successful probe the breaker is %s", s)
		}
		mustPick("primary")

		want := map[string]float64{
			"closed>open": 1, "open>half-open": 2, "half-open>open": 1, "half-open>closed": 1,
		}
		if got := transitions(t, reg, "primary"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("transitions = %v, want %v", got, want)
		}
		if got := gauge(t, reg, "tern_carrier_breaker_state", "primary"); got != 0 {
			t.Errorf("state gauge = %v, want 0", got)
		}
		if n := histogramCount(t, reg, "primary", "in_doubt"); n != 6 {
			t.Errorf("in_doubt latency samples = %d, want 6", n)
		}
	})
}

// TestBreakerWithoutFailover: with one carrier, Pick reports the route
// unavailable while it is open, with the wait until the probe.
func TestBreakerWithoutFailover(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const open = 5 * time.Second
		reg := prometheus.NewRegistry()
		fs := fakes{}
		r, err := New(Config{
			Carriers: []CarrierConfig{carrier("only")},
			Breaker:  BreakerConfig{Failures: 2, OpenTimeout: open},
		}, fs.dial, WithRegisterer(reg))
		if err != nil {
			t.Fatal(err)
		}
		fs["only"].set(noAnswer)
		for range 2 {
			submitPicked(r, "+1")
		}
		_, err = r.Pick("+14155550100")
		var backoff *carriers.BackoffError
		if !errors.Is(err, carriers.ErrUnavailable) || !errors.As(err, &backoff) || backoff.Wait != open {
			t.Fatalf("Pick while open: %v, want ErrUnavailable with a wait of %v", err, open)
		}
		if !strings.Contains(err.Error(), "only") {
			t.Errorf("error %q does not name the carriers tried", err)
		}
		if got := gauge(t, reg, "tern_carrier_breaker_state", "only"); got != 2 {
			t.Errorf("state gauge while open = %v, want 2", got)
		}
		time.Sleep(open - time.Second)
		if _, err := r.Pick("+1"); !errors.As(err, &backoff) || backoff.Wait != time.Second {
			t.Fatalf("Pick later: %v, want a wait of 1s", err)
		}
		time.Sleep(time.Second + time.Millisecond)
		// Scraping shows the breaker half-open without any traffic.
		if got := gauge(t, reg, "tern_carrier_breaker_state", "only"); got != 1 {
			t.Errorf("state gauge after the timeout = %v, want 1", got)
		}
		fs["only"].set(nil)
		if name, err := submitPicked(r, "+1"); name != "only" || err != nil {
			t.Fatalf("after recovery: %s, %v", name, err)
		}
	})
}

// TestBreakerIgnoresRefusals: refusals of the message, throttling and
// cancelled callers do not open a breaker.
func TestBreakerIgnoresRefusals(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		smpp.StatusInvalidDestAddr,
		&carriers.BackoffError{Err: smpp.StatusThrottled, Wait: time.Second},
		smpp.ErrTooLong,
	} {
		fs := fakes{}
		r, rerr := New(Config{Carriers: []CarrierConfig{carrier("a")}, Breaker: BreakerConfig{Failures: 2}}, fs.dial)
		if rerr != nil {
			t.Fatal(rerr)
		}
		fs["a"].set(func(context.Context) error { return err })
		for range 10 {
			submitPicked(r, "+1")
		}
		if s := r.State("a"); s != BreakerClosed {
			t.Errorf("after 10 × %v the breaker is %s", err, s)
		}
	}
}

func transitions(t *testing.T, g prometheus.Gatherer, carrier string) map[string]float64 {
	t.Helper()
	got := map[string]float64{}
	for _, m := range family(t, g, "tern_carrier_breaker_transitions_total") {
		l := labels(m)
		if l["carrier"] == carrier {
			got[l["from"]+">"+l["to"]] = m.GetCounter().GetValue()
		}
	}
	return got
}

func gauge(t *testing.T, g prometheus.Gatherer, name, carrier string) float64 {
	t.Helper()
	for _, m := range family(t, g, name) {
		if labels(m)["carrier"] == carrier {
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s for %s", name, carrier)
	return 0
}

func histogramCount(t *testing.T, g prometheus.Gatherer, carrier, outcome string) uint64 {
	t.Helper()
	for _, m := range family(t, g, "tern_carrier_submit_seconds") {
		if l := labels(m); l["carrier"] == carrier && l["outcome"] == outcome {
			return m.GetHistogram().GetSampleCount()
		}
	}
	return 0
}

func family(t *testing.T, g prometheus.Gatherer, name string) []*dto.Metric {
	t.Helper()
	fams, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f.GetMetric()
		}
	}
	return nil
}

func labels(m *dto.Metric) map[string]string {
	l := map[string]string{}
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

// TestBreakerRidesOutPartialStorm: a carrier failing 30 % of its submits
// at random has runs of consecutive failures longer than the breaker's
// count, yet most submits go through, so its breaker stays closed. When
// it then fails every submit, the breaker opens before half its recent
// outcomes have gone by.
func TestBreakerRidesOutPartialStorm(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const failures = 3
		reg := prometheus.NewRegistry()
		fs := fakes{}
		r, err := New(Config{
			Carriers: []CarrierConfig{carrier("only")},
			Breaker:  BreakerConfig{Failures: failures, OpenTimeout: 10 * time.Second},
		}, fs.dial, WithRegisterer(reg))
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		fs["only"].set(func(context.Context) error {
			if rng.Float64() < 0.3 {
				return fmt.Errorf("submit_sm: %w", smpp.StatusSystemError)
			}
			return nil
		})
		run, longest := 0, 0
		for range 2000 {
			time.Sleep(3 * time.Millisecond) // about 330 submits a second
			if _, err := submitPicked(r, "+1"); err != nil {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
		if longest < failures {
			t.Fatalf("the longest run of failures was %d: the test proves nothing", longest)
		}
		if got := transitions(t, reg, "only"); len(got) != 0 {
			t.Fatalf("under a 30 %% storm with runs of up to %d failures: transitions %v, want none", longest, got)
		}

		fs["only"].set(noAnswer)
		for i := range recentMax / 2 {
			time.Sleep(3 * time.Millisecond)
			submitPicked(r, "+1")
			if r.State("only") == BreakerOpen {
				t.Logf("runs of up to %d failures in 2000 submits left it closed; it opened after %d of %d failed", longest, i+1, recentMax/2)
				return
			}
		}
		t.Fatalf("still %s after %d failures in a row", r.State("only"), recentMax/2)
	})
}
