package analytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/hygiene"
)

// Suppressor keeps list hygiene's suppressions, on the same states and
// topic as opt-outs; pipeline/consent's Ledger is one.
type Suppressor interface {
	SuppressHygiene(ctx context.Context, tenant, number string, class hygiene.Class, detail string) (bool, error)
	ClearHygiene(ctx context.Context, tenant, number, by string) (bool, error)
	HygieneMarks(ctx context.Context, tenant string) ([]hygiene.Mark, error)
}

// ConsentStates tells a number's consent state; pipeline/consent's Set is
// one.
type ConsentStates interface {
	Lookup(tenant, number string) consent.State
}

// HygieneJob classifies every number each tenant messaged (core/hygiene),
// writes the classification for the reports, and suppresses the numbers
// of the permanent classes for marketing through the Suppressor, or
// lifts a suppression when a message was delivered since. Several
// instances may run it: a second run of the same data suppresses
// nothing twice.
type HygieneJob struct {
	store    *Store
	sup      Suppressor
	states   ConsentStates
	codes    *hygiene.Codes
	settings func(tenant string) hygiene.Settings
	every    time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// HygieneOption configures NewHygieneJob.
type HygieneOption func(*HygieneJob)

// DefaultHygieneInterval is how often Run classifies.
const DefaultHygieneInterval = 15 * time.Minute

// WithHygieneCodes sets the carrier error-code table. Default
// hygiene.DefaultRules.
func WithHygieneCodes(c *hygiene.Codes) HygieneOption { return func(j *HygieneJob) { j.codes = c } }

// WithHygieneSettings sets each tenant's thresholds and whether it
// auto-suppresses. Default: hygiene's defaults, auto-suppression on.
func WithHygieneSettings(f func(tenant string) hygiene.Settings) HygieneOption {
	return func(j *HygieneJob) { j.settings = f }
}

// WithHygieneInterval sets how often Run classifies. Default
// DefaultHygieneInterval.
func WithHygieneInterval(d time.Duration) HygieneOption { return func(j *HygieneJob) { j.every = d } }

// WithHygieneClock sets the clock, for tests.
func WithHygieneClock(now func() time.Time) HygieneOption { return func(j *HygieneJob) { j.now = now } }

// WithHygieneLogger sets the logger. Default: the store's.
func WithHygieneLogger(l *slog.Logger) HygieneOption { return func(j *HygieneJob) { j.log = l } }

// NewHygieneJob returns a job over store suppressing through sup; states
// may be nil (no number counts as opted out), and so may sup: the job
// then classifies and reports, and suppresses nothing.
func NewHygieneJob(store *Store, sup Suppressor, states ConsentStates, opts ...HygieneOption) *HygieneJob {
	j := &HygieneJob{store: store, sup: sup, states: states, codes: hygiene.MustCodes(hygiene.DefaultRules()),
		settings: func(string) hygiene.Settings { return hygiene.Settings{} }, every: DefaultHygieneInterval,
		now: time.Now, log: store.log}
	for _, o := range opts {
		o(j)
	}
	j.log = j.log.With("component", "analytics.hygiene")
	return j
}

// HygieneRun is what one run did for one tenant.
type HygieneRun struct {
	Tenant string
	// Numbers is every number the tenant messaged; Classified those in a
	// class (or suppressed).
	Numbers, Classified int64
	// Suppressed and Cleared are the suppressions this run added and
	// lifted.
	Suppressed, Cleared int64
}

// Run classifies every interval until ctx ends; a failed run is logged
// and the next one tries again.
func (j *HygieneJob) Run(ctx context.Context) error {
	t := time.NewTicker(j.every)
	defer t.Stop()
	for {
		if _, err := j.RunOnce(ctx); err != nil && ctx.Err() == nil {
			j.log.Warn("hygiene run", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce classifies every tenant's numbers once.
func (j *HygieneJob) RunOnce(ctx context.Context) ([]HygieneRun, error) {
	tenants, err := j.store.tenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []HygieneRun
	var errs []error
	for _, t := range tenants {
		r, err := j.RunTenant(ctx, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

// classifiedBatch is how many classified numbers go in one insert.
const classifiedBatch = 10_000

// RunTenant classifies one tenant's numbers. The suppressions it decides
// are made once ClickHouse has answered, then the classification is
// written; a run that fails part way leaves the previous one in the
// reports.
func (j *HygieneJob) RunTenant(ctx context.Context, tenant string) (HygieneRun, error) {
	s := j.settings(tenant).WithDefaults()
	now := j.now()
	marks, err := j.marks(ctx, tenant)
	if err != nil {
		return HygieneRun{}, err
	}
	r := HygieneRun{Tenant: tenant}
	var cs []classified
	err = j.store.numberHistories(ctx, tenant, s.Window(), func(n numberStats) error {
		r.Numbers++
		if c := j.classify(tenant, n, marks[n.history.Number], s, now); c.verdict.Class != hygiene.ClassNone || c.suppressed || c.action != hygiene.Keep {
			cs = append(cs, c)
		}
		return nil
	})
	for i := 0; err == nil && i < len(cs); i++ {
		err = j.act(ctx, tenant, &cs[i], &r)
	}
	cs = slices.DeleteFunc(cs, func(c classified) bool { return c.verdict.Class == hygiene.ClassNone && !c.suppressed })
	run := uint64(now.UnixMilli())
	for rest := cs; err == nil && len(rest) > 0; {
		n := min(len(rest), classifiedBatch)
		err, rest = j.store.insertClassified(ctx, tenant, run, rest[:n]), rest[n:]
	}
	r.Classified = int64(len(cs))
	if err == nil {
		err = j.store.finishRun(ctx, tenant, run, r.Numbers, r.Classified, now)
	}
	if err != nil {
		return r, fmt.Errorf("hygiene of %s: %w", tenant, err)
	}
	j.log.Info("classified", "tenant", tenant, "numbers", r.Numbers, "classified", r.Classified, "suppressed", r.Suppressed, "cleared", r.Cleared)
	return r, nil
}

func (j *HygieneJob) marks(ctx context.Context, tenant string) (map[string]hygiene.Mark, error) {
	if j.sup == nil {
		return nil, nil
	}
	ms, err := j.sup.HygieneMarks(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("hygiene marks of %s: %w", tenant, err)
	}
	out := make(map[string]hygiene.Mark, len(ms))
	for _, m := range ms {
		out[m.Number] = m
	}
	return out, nil
}

// classify decides one number's class and what to do about it.
func (j *HygieneJob) classify(tenant string, n numberStats, m hygiene.Mark, s hygiene.Settings, now time.Time) classified {
	if j.states != nil {
		n.history.OptedOut = j.states.Lookup(tenant, n.history.Number).OptedOut
	}
	c := classified{numberStats: n, verdict: hygiene.Classify(n.history, j.codes, s, now), suppressed: m.Suppressed()}
	c.action = hygiene.Decide(c.verdict, n.history, m, s)
	return c
}

// act carries out c's action; without a Suppressor there is none.
func (j *HygieneJob) act(ctx context.Context, tenant string, c *classified, r *HygieneRun) error {
	if j.sup == nil {
		return nil
	}
	switch c.action {
	case hygiene.Suppress:
		if _, err := j.sup.SuppressHygiene(ctx, tenant, c.history.Number, c.verdict.Class, c.verdict.Detail); err != nil {
			return fmt.Errorf("suppress: %w", err)
		}
		c.suppressed = true
		r.Suppressed++
	case hygiene.Clear:
		if _, err := j.sup.ClearHygiene(ctx, tenant, c.history.Number, hygiene.ClearedByDelivery); err != nil {
			return fmt.Errorf("clear: %w", err)
		}
		c.suppressed = false
		r.Cleared++
	}
	return nil
}
