package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/flow"
	"github.com/ternsms/tern/pipeline"
)

// claimBatch is the most runs one poll claims.
const claimBatch = 100

// sendRetry is how long a run waits after its send could not be queued.
const sendRetry = 30 * time.Second

// Run advances due runs, publishes the ends of runs and does the daily
// win-back scan, until ctx ends. Every instance may run it.
func (e *Engine) Run(ctx context.Context) error {
	t := time.NewTicker(e.cfg.Poll)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			n, err := e.AdvanceDue(ctx)
			if err != nil && ctx.Err() == nil {
				e.log.Warn("advance flow runs", "err", err)
			}
			if n < claimBatch {
				break
			}
		}
		if err := e.publishEnded(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("publish flow run ends; retried", "err", err)
		}
		if err := e.daily(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("win-back scan", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-e.kick:
		}
	}
}

// due is a claimed run.
type due struct {
	id                  int64
	tenant, flow, phone string
	step                int
	vars                map[string]string
}

// AdvanceDue claims the runs due now (each on one instance: FOR UPDATE
// SKIP LOCKED, under a lease) and runs their steps until each waits or
// ends. It returns how many it claimed.
func (e *Engine) AdvanceDue(ctx context.Context) (int, error) {
	now, claim := e.now(), rand.Int64N(1<<62)+1
	rows, err := e.pool.Query(ctx, `UPDATE flow_runs SET claim = $1, claimed_until = $2
		WHERE id IN (SELECT id FROM flow_runs WHERE state = 1 AND due_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3)
			ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING id, tenant_id, flow_id, phone, step, vars`, claim, now.Add(e.cfg.Lease), now, claimBatch)
	if err != nil {
		return 0, fmt.Errorf("claim flow runs: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (due, error) {
		var d due
		var raw []byte
		err := r.Scan(&d.id, &d.tenant, &d.flow, &d.phone, &d.step, &raw)
		if err == nil {
			err = json.Unmarshal(raw, &d.vars)
		}
		return d, err
	})
	if err != nil {
		return 0, fmt.Errorf("claim flow runs: %w", err)
	}
	views := map[string]map[string]View{}
	for _, d := range runs {
		if views[d.tenant] == nil {
			if views[d.tenant], err = e.views(ctx, e.pool, d.tenant); err != nil {
				return len(runs), err
			}
		}
		if err := e.advance(ctx, d, claim, views[d.tenant][d.flow]); err != nil {
			e.log.Warn("advance flow run; retried when its lease ends", "run", d.id, "err", err)
		}
	}
	return len(runs), nil
}

// progress is where a run's advance left it.
type progress struct {
	step  int
	state int16
	due   *time.Time
	exit  string
	sent  int
	log   []entry
}

// advance runs d's steps from its position until it waits or ends, then
// saves where it is.
func (e *Engine) advance(ctx context.Context, d due, claim int64, v View) error {
	p := progress{step: d.step, state: stateWaiting}
	if !v.Enabled {
		p.state, p.exit = stateExited, "the flow was disabled"
		p.log = append(p.log, entry{outcome: outExited, detail: p.exit})
		return e.save(ctx, d, claim, p)
	}
	f := v.Flow
	for n := 0; ; n++ {
		if n > f.MaxSteps() {
			p.state, p.exit = stateExited, flow.ErrLoop.Error()
			p.log = append(p.log, entry{outcome: outExited, detail: p.exit})
			return e.save(ctx, d, claim, p)
		}
		o := f.Run(p.step, d.vars, d.phone, e.now())
		switch o.Kind {
		case flow.Waiting:
			until := o.Until
			p.step, p.due = o.Next, &until
			p.log = append(p.log, entry{step: o.Step, outcome: outWaiting, detail: o.Detail})
			return e.save(ctx, d, claim, p)
		case flow.Completed:
			p.state = stateCompleted
			p.log = append(p.log, entry{outcome: outCompleted})
			return e.save(ctx, d, claim, p)
		case flow.Sending:
			id, err := e.sendStep(ctx, d, f, o)
			if transient(err) {
				retry := e.now().Add(sendRetry)
				p.due = &retry
				e.log.Warn("flow message not queued; retried", "run", d.id, "step", o.Step, "err", err)
				return e.save(ctx, d, claim, p)
			}
			if err != nil {
				p.log = append(p.log, entry{step: o.Step, outcome: outSkipped, detail: err.Error()})
			} else {
				p.sent++
				p.log = append(p.log, entry{step: o.Step, outcome: outSent, messageID: id})
			}
		case flow.Skipped:
			p.log = append(p.log, entry{step: o.Step, outcome: outSkipped, detail: o.Detail})
		case flow.Branched:
			p.log = append(p.log, entry{step: o.Step, outcome: outBranched, detail: o.Detail})
		}
		p.step = o.Next
	}
}

// sendStep queues a send step's message under a key of the run and
// step, and returns its id.
func (e *Engine) sendStep(ctx context.Context, d due, f flow.Flow, o flow.Outcome) (string, error) {
	req := pipeline.Request{TenantID: d.tenant, To: d.phone, Body: o.Text, Category: o.Category,
		CampaignID: "flow/" + f.ID, Origin: "flow/" + f.ID, IdempotencyKey: fmt.Sprintf("flow/%d/%s", d.id, o.Step)}
	if e.tenants != nil {
		if v, ok := e.tenants.Tenant(d.tenant); ok {
			req.From = v.DefaultSender
		}
	}
	var out [1]pipeline.Result
	if err := e.send.Send(ctx, []pipeline.Request{req}, out[:]); err != nil {
		return "", err
	}
	return out[0].ID, out[0].Err
}

// transient tells whether a send's error is worth retrying: nothing was
// queued, for a reason of the moment.
func transient(err error) bool {
	return err != nil && (errors.Is(err, pipeline.ErrQueueUnavailable) || errors.Is(err, pipeline.ErrClosed) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// save writes p for the run d while this instance's claim holds; its log
// is kept either way (what was sent was sent).
func (e *Engine) save(ctx context.Context, d due, claim int64, p progress) error {
	ctx = context.WithoutCancel(ctx)
	return pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if p.state != stateWaiting {
			p.due = nil
		}
		tag, err := tx.Exec(ctx, `UPDATE flow_runs SET step = $3, state = $4, due_at = $5, exit_reason = $6, sent = sent + $7,
			claim = 0, claimed_until = NULL, updated_at = $8 WHERE id = $1 AND claim = $2 AND state = 1`,
			d.id, claim, p.step, p.state, p.due, p.exit, p.sent, e.now())
		if err != nil {
			return fmt.Errorf("save flow run: %w", err)
		}
		if tag.RowsAffected() == 0 {
			e.log.Info("flow run changed while it advanced (exited, or its lease ran out)", "run", d.id)
		}
		return e.appendLog(ctx, tx, d.id, p.log)
	})
}
