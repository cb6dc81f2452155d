package campaigns

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/campaign"
)

// Runner finds the campaigns there is work for, on any instance, and
// does it here: a scheduled campaign whose time came is started, a
// running one expanded, a canceled one withdrawn. Each instance may run
// one; a campaign's lock keeps its work on one instance at a time.
type Runner struct {
	s      *Store
	mu     sync.Mutex
	active map[string]bool // tenant/id of the campaigns worked on here
	wg     sync.WaitGroup
	poke   chan struct{}
}

// NewRunner returns a Runner over s; it needs s's Intake and Canceler.
func (s *Store) NewRunner() *Runner {
	return &Runner{s: s, active: map[string]bool{}, poke: make(chan struct{}, 1)}
}

// Poke has the runner look for work now rather than at its next poll,
// e.g. after a launch on this instance.
func (r *Runner) Poke() {
	select {
	case r.poke <- struct{}{}:
	default:
	}
}

// Run looks for work every PollEvery until ctx ends, then waits for the
// work it started, which ends with ctx.
func (r *Runner) Run(ctx context.Context) error {
	t := time.NewTicker(r.s.cfg.PollEvery)
	defer t.Stop()
	defer r.wg.Wait()
	for {
		if err := r.tick(ctx); err != nil && ctx.Err() == nil {
			r.s.d.Log.Warn("campaign runner", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.poke:
		}
	}
}

// tick starts due campaigns and the work of those there is work for.
func (r *Runner) tick(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, r.s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE campaigns SET state = $1, updated_at = now() WHERE state = $2 AND (send_at IS NULL OR send_at <= now())`,
			int16(campaign.Running), int16(campaign.Scheduled))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE campaign_states_version SET version = version + 1`)
		return err
	})
	if err != nil {
		return fmt.Errorf("start scheduled campaigns: %w", err)
	}
	rows, err := r.s.pool.Query(ctx, `SELECT tenant_id, id, state FROM campaigns WHERE state = $1 OR (state = $2 AND NOT withdraw_done)`,
		int16(campaign.Running), int16(campaign.Canceled))
	if err != nil {
		return fmt.Errorf("campaigns to work on: %w", err)
	}
	type work struct {
		tenant, id string
		state      int16
	}
	todo, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (work, error) {
		var w work
		return w, row.Scan(&w.tenant, &w.id, &w.state)
	})
	if err != nil {
		return fmt.Errorf("campaigns to work on: %w", err)
	}
	for _, w := range todo {
		f := r.s.Expand
		if campaign.State(w.state) == campaign.Canceled {
			f = r.s.Withdraw
		}
		r.start(ctx, w.tenant, w.id, f)
	}
	return nil
}

// start runs f for a campaign unless it is worked on here already or
// every worker is busy.
func (r *Runner) start(ctx context.Context, tenant, id string, f func(context.Context, string, string) error) {
	key := tenant + "/" + id
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active[key] || len(r.active) >= r.s.cfg.Workers {
		return
	}
	r.active[key] = true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := f(ctx, tenant, id); err != nil && ctx.Err() == nil {
			r.s.d.Log.Warn("campaign work stopped; retried", "campaign", id, "err", err)
		}
		r.mu.Lock()
		delete(r.active, key)
		r.mu.Unlock()
	}()
}
