package flows

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/flow"
)

// Run is a flow run as ListFlowRuns shows it.
type Run struct {
	ID           int64
	Flow         string
	State        string
	ExitReason   string
	Phone        string
	Subject      string
	TriggerEvent string
	Started      time.Time
	Updated      time.Time
	// NextStep and NextAt: the step a waiting run waits for, and when.
	NextStep string
	NextAt   time.Time
	Log      []Entry
}

// Entry is one line of a run's log.
type Entry struct {
	At        time.Time
	Step      string
	Outcome   string
	Detail    string
	MessageID string
}

// Filter narrows Runs.
type Filter struct {
	Flow  string
	Phone string
}

// MaxPage is the most runs one page holds.
const MaxPage = 100

// Runs lists tenant's runs, newest first, pageSize (1 to MaxPage; 0 is
// 20) at a time after token, with their logs, and the next page's token.
func (e *Engine) Runs(ctx context.Context, tenant string, f Filter, pageSize int, token string) ([]Run, string, error) {
	after, err := parseToken(token)
	if err != nil {
		return nil, "", err
	}
	if pageSize <= 0 {
		pageSize = 20
	}
	pageSize = min(pageSize, MaxPage)
	rows, err := e.pool.Query(ctx, `SELECT id, flow_id, state, exit_reason, phone, once_key, trigger_event_id, started_at, updated_at, step, due_at
		FROM flow_runs WHERE tenant_id = $1 AND ($2 = '' OR flow_id = $2) AND ($3 = '' OR phone = $3) AND ($4 = 0 OR id < $4)
		ORDER BY id DESC LIMIT $5`, tenant, f.Flow, f.Phone, after, pageSize+1)
	if err != nil {
		return nil, "", fmt.Errorf("flow runs: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Run, error) {
		var x Run
		var state int16
		var step int
		var dueAt *time.Time
		var once string
		err := r.Scan(&x.ID, &x.Flow, &state, &x.ExitReason, &x.Phone, &once, &x.TriggerEvent, &x.Started, &x.Updated, &step, &dueAt)
		x.State, x.Subject = StateName(state), strings.Replace(once, ":", " ", 1)
		if f, ok := flow.Lookup(x.Flow); ok && state == stateWaiting && step < len(f.Steps) {
			x.NextStep = f.Steps[step].Name
			if dueAt != nil {
				x.NextAt = *dueAt
			}
		}
		return x, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("flow runs: %w", err)
	}
	next := ""
	if len(runs) > pageSize {
		runs, next = runs[:pageSize], pageToken(runs[pageSize-1].ID)
	}
	return runs, next, e.logs(ctx, runs)
}

// logs fills in the runs' logs.
func (e *Engine) logs(ctx context.Context, runs []Run) error {
	if len(runs) == 0 {
		return nil
	}
	ids, at := make([]int64, len(runs)), map[int64]int{}
	for i, r := range runs {
		ids[i], at[r.ID] = r.ID, i
	}
	rows, err := e.pool.Query(ctx, `SELECT run_id, at, step, outcome, detail, message_id FROM flow_run_log WHERE run_id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return fmt.Errorf("flow run logs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var x Entry
		if err := rows.Scan(&id, &x.At, &x.Step, &x.Outcome, &x.Detail, &x.MessageID); err != nil {
			return fmt.Errorf("flow run logs: %w", err)
		}
		runs[at[id]].Log = append(runs[at[id]].Log, x)
	}
	return rows.Err()
}
