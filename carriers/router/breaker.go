package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/ternsms/tern/carriers"
)

// BreakerState is where a carrier's circuit breaker stands.
type BreakerState uint8

// Breaker states, in the values the state gauge reports.
const (
	// BreakerClosed lets every submit through.
	BreakerClosed BreakerState = iota
	// BreakerHalfOpen lets probes through, BreakerConfig.Probes at once.
	BreakerHalfOpen
	// BreakerOpen lets nothing through until OpenTimeout has passed.
	BreakerOpen
)

func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerHalfOpen:
		return "half-open"
	case BreakerOpen:
		return "open"
	}
	return fmt.Sprintf("BreakerState(%d)", uint8(s))
}

func stateOf(s gobreaker.State) BreakerState {
	switch s {
	case gobreaker.StateHalfOpen:
		return BreakerHalfOpen
	case gobreaker.StateOpen:
		return BreakerOpen
	}
	return BreakerClosed
}

// breaker is a carrier behind its circuit breaker: what Pick returns.
// Submit asks the breaker, submits, times the submit and tells the
// breaker what the outcome says about the carrier.
type breaker struct {
	c       carriers.Carrier
	name    string
	cb      *gobreaker.TwoStepCircuitBreaker[struct{}]
	probes  int32
	timeout time.Duration
	// probing counts submits let through while half-open and not
	// finished, so that Pick passes over a breaker whose probe slots
	// are taken.
	probing atomic.Int32
	// openedAt is when the breaker last opened, in Unix nanoseconds.
	openedAt atomic.Int64
	observe  [outcomeCount]func(time.Duration)
	// recent are the latest outcomes that said something about the
	// carrier: consecutive failures open the breaker only when they are
	// also at least half of these.
	recent recent
}

func newBreaker(c carriers.Carrier, cfg BreakerConfig, log *slog.Logger, m *metrics) *breaker {
	b := &breaker{c: c, name: c.Name(), probes: int32(cfg.Probes), timeout: cfg.OpenTimeout}
	failures := uint32(cfg.Failures)
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        b.name,
		MaxRequests: uint32(cfg.Probes),
		Timeout:     cfg.OpenTimeout,
		ReadyToTrip: func(n gobreaker.Counts) bool {
			return n.ConsecutiveFailures >= failures && b.recent.failing(time.Now())
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errNeutral) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			// Runs under the breaker's lock: record, never call it.
			f, t := stateOf(from), stateOf(to)
			switch t {
			case BreakerOpen:
				b.openedAt.Store(time.Now().UnixNano())
			case BreakerClosed:
				b.recent.reset() // a recovered carrier starts over
			}
			m.transition(b.name, f, t)
			switch t {
			case BreakerOpen:
				log.Warn("carrier breaker open", "carrier", b.name, "from", f.String(), "open_for", cfg.OpenTimeout)
			default:
				log.Info("carrier breaker "+t.String(), "carrier", b.name, "from", f.String())
			}
		},
	})
	for o := range outcomeCount {
		b.observe[o] = m.observer(b.name, o)
	}
	return b
}

// Name returns the carrier's name.
func (b *breaker) Name() string { return b.name }

// Unwrap returns the carrier behind the breaker.
func (b *breaker) Unwrap() carriers.Carrier { return b.c }

// state returns the breaker's state; an open breaker whose timeout has
// passed becomes half-open on the way.
func (b *breaker) state() BreakerState { return stateOf(b.cb.State()) }

// available reports whether the breaker would let a submit through now
// and, if not, how long until it may.
func (b *breaker) available() (bool, time.Duration) {
	switch b.state() {
	case BreakerClosed:
		return true, 0
	case BreakerHalfOpen:
		return b.probing.Load() < b.probes, 0
	}
	wait := time.Until(time.Unix(0, b.openedAt.Load()).Add(b.timeout))
	return false, max(wait, 0)
}

// Submit sends s if the breaker lets it through. A submit the breaker
// refuses is not sent and fails with carriers.ErrUnavailable: pick again.
func (b *breaker) Submit(ctx context.Context, s *carriers.Submission) (carriers.Accepted, error) {
	probe := b.state() == BreakerHalfOpen
	done, err := b.cb.Allow()
	if err != nil {
		return carriers.Accepted{}, fmt.Errorf("carrier %s: breaker %s: %w", b.name, b.state(), carriers.ErrUnavailable)
	}
	if probe {
		b.probing.Add(1)
		defer b.probing.Add(-1)
	}
	start := time.Now()
	acc, err := b.c.Submit(ctx, s)
	o, v := classify(ctx, err)
	b.observe[o](time.Since(start))
	if v != neutral {
		b.recent.add(time.Now(), v == failing)
	}
	done(v.err())
	return acc, err
}

// A breaker weighs the last recentMax outcomes of the last recentFor.
const (
	recentMax = 100
	recentFor = 10 * time.Second
)

// recent is a ring of a carrier's latest outcomes. Under a partial storm,
// where some submits fail (ESME_RSYSERR) while most still go through,
// runs of consecutive failures keep coming; the share keeps such a
// carrier in use, while one that stopped working fails nearly every
// submit and still opens its breaker after the configured failures (at
// most recentMax/2 when it was busy and healthy just before). See the
// error-storm run in bench/RESULTS.md. Adding takes no lock: each slot holds
// an outcome's Unix nanoseconds shifted left once, the low bit set for a
// failure.
type recent struct {
	next  atomic.Uint64
	slots [recentMax]atomic.Int64
	// since is when the ring was last reset: older outcomes do not count.
	since atomic.Int64
}

func (r *recent) add(now time.Time, failed bool) {
	v := now.UnixNano() << 1
	if failed {
		v |= 1
	}
	r.slots[(r.next.Add(1)-1)%recentMax].Store(v)
}

// failing reports whether at least half of the outcomes of the last
// recentFor were failures.
func (r *recent) failing(now time.Time) bool {
	cutoff := max(now.Add(-recentFor).UnixNano(), r.since.Load())
	var total, bad int
	for i := range r.slots {
		v := r.slots[i].Load()
		if v>>1 < cutoff {
			continue
		}
		total++
		bad += int(v & 1)
	}
	return 2*bad >= total
}

// reset forgets the outcomes so far.
func (r *recent) reset() { r.since.Store(time.Now().UnixNano()) }

// outcome is what a submit ended as, for the latency histogram.
type outcome uint8

const (
	outcomeOK outcome = iota
	outcomeRefused
	outcomeInDoubt
	outcomeUnavailable
	outcomeCount
)

var outcomeNames = [outcomeCount]string{"ok", "refused", "in_doubt", "unavailable"}

func (o outcome) String() string { return outcomeNames[o] }

// verdict is what a submit's outcome says about the carrier.
type verdict uint8

const (
	working verdict = iota
	failing
	neutral // says nothing: not counted
)

var (
	errFailing = errors.New("carrier failing")
	errNeutral = errors.New("outcome says nothing about the carrier")
)

// err is what the breaker is told: nil counts as a success.
func (v verdict) err() error {
	switch v {
	case failing:
		return errFailing
	case neutral:
		return errNeutral
	}
	return nil
}

// classify reads a submit's error. Failures are the carrier not working:
// no answer (in doubt), no usable connection, a retriable system error.
// A refusal of the message itself (a non-retriable status such as
// ESME_RINVDSTADR) shows the carrier working. Throttling (a
// BackoffError) is the client's business, and a caller that cancelled
// learned nothing: neither counts.
func classify(ctx context.Context, err error) (outcome, verdict) {
	var o outcome
	var v verdict
	var backoff *carriers.BackoffError
	switch {
	case err == nil:
		return outcomeOK, working
	case errors.Is(err, carriers.ErrInDoubt):
		o, v = outcomeInDoubt, failing
	case errors.Is(err, carriers.ErrClosed):
		return outcomeUnavailable, neutral
	case errors.Is(err, carriers.ErrUnavailable):
		o, v = outcomeUnavailable, failing
	case errors.As(err, &backoff):
		return outcomeRefused, neutral
	case carriers.IsRetriable(err):
		o, v = outcomeRefused, failing
	case carriers.StatusCode(err) != "":
		return outcomeRefused, working
	default:
		// Refused before reaching the carrier: too long, expired...
		return outcomeRefused, neutral
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		v = neutral
	}
	return o, v
}
