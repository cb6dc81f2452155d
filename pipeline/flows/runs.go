package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/flow"
)

// Run states, as stored.
const (
	stateWaiting   = 1
	stateCompleted = 2
	stateExited    = 3
)

// StateName is a stored state's name: "waiting", "completed", "exited".
func StateName(s int16) string {
	switch s {
	case stateWaiting:
		return "waiting"
	case stateCompleted:
		return "completed"
	case stateExited:
		return "exited"
	}
	return "unknown"
}

// Log outcomes.
const (
	outStarted   = "started"
	outWaiting   = "waiting"
	outSent      = "sent"
	outSkipped   = "skipped"
	outBranched  = "branched"
	outExited    = "exited"
	outCompleted = "completed"
)

// newRun is a run to start.
type newRun struct {
	tenant, flow, once, event, phone string
	subject                          flow.Subject
	vars                             map[string]string
	due                              time.Time
	// exit, when set, records the run as exited at once, with this
	// reason: it could not start (no phone, already ordered).
	exit string
}

// entry is one line of a run's log.
type entry struct {
	step, outcome, detail, messageID string
	at                               time.Time
}

// start inserts r unless its flow has a run with the same once key, and
// reports whether it did.
func (e *Engine) start(ctx context.Context, tx pgx.Tx, r newRun) (bool, error) {
	vars, err := json.Marshal(r.vars)
	if err != nil {
		return false, err
	}
	state, due, detail := int16(stateWaiting), &r.due, "by "+r.event
	if r.exit != "" {
		state, due = stateExited, nil
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO flow_runs (tenant_id, flow_id, once_key, trigger_event_id, phone, checkout_id, order_id, customer_key,
			vars, state, due_at, exit_reason, started_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
		ON CONFLICT (tenant_id, flow_id, once_key) DO NOTHING RETURNING id`,
		r.tenant, r.flow, r.once, r.event, r.phone, r.subject.CheckoutID, r.subject.OrderID, r.subject.CustomerKey,
		vars, state, due, r.exit, e.now()).Scan(&id)
	if err == pgx.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start flow run: %w", err)
	}
	log := []entry{{outcome: outStarted, detail: detail}}
	if r.exit != "" {
		log = append(log, entry{outcome: outExited, detail: r.exit})
	}
	return true, e.appendLog(ctx, tx, id, log)
}

// appendLog adds entries to run id's log.
func (e *Engine) appendLog(ctx context.Context, tx pgx.Tx, id int64, es []entry) error {
	if len(es) == 0 {
		return nil
	}
	now := e.now()
	at := make([]time.Time, len(es))
	steps, outs, details, msgs := make([]string, len(es)), make([]string, len(es)), make([]string, len(es)), make([]string, len(es))
	for i, x := range es {
		at[i], steps[i], outs[i], details[i], msgs[i] = now, x.step, x.outcome, truncate(x.detail, 500), x.messageID
		if !x.at.IsZero() {
			at[i] = x.at
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO flow_run_log (run_id, at, step, outcome, detail, message_id)
		SELECT $1, * FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])`, id, at, steps, outs, details, msgs)
	if err != nil {
		return fmt.Errorf("flow run log: %w", err)
	}
	return nil
}

// exitRuns ends tenant's waiting runs whose exit conditions ev meets.
func (e *Engine) exitRuns(ctx context.Context, tx pgx.Tx, ev commerce.Event) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id, flow_id, checkout_id, order_id, customer_key FROM flow_runs
		WHERE tenant_id = $1 AND state = 1 AND (checkout_id = $2 AND $2 <> '' OR order_id = $3 AND $3 <> '' OR customer_key = $4 AND $4 <> '')
		FOR UPDATE`, ev.Tenant, ev.CheckoutID, ev.OrderID, ev.CustomerKey())
	if err != nil {
		return 0, fmt.Errorf("flow runs to exit: %w", err)
	}
	type hit struct {
		id     int64
		reason string
	}
	var hits []hit
	for rows.Next() {
		var id int64
		var fid string
		var s flow.Subject
		if err := rows.Scan(&id, &fid, &s.CheckoutID, &s.OrderID, &s.CustomerKey); err != nil {
			rows.Close()
			return 0, err
		}
		if f, ok := flow.Lookup(fid); ok {
			if reason, ok := f.ExitFor(s, ev); ok {
				hits = append(hits, hit{id, reason})
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, h := range hits {
		if _, err := tx.Exec(ctx, `UPDATE flow_runs SET state = 3, exit_reason = $2, due_at = NULL, updated_at = $3 WHERE id = $1`,
			h.id, h.reason, e.now()); err != nil {
			return 0, fmt.Errorf("exit flow run: %w", err)
		}
		if err := e.appendLog(ctx, tx, h.id, []entry{{outcome: outExited, detail: h.reason}}); err != nil {
			return 0, err
		}
	}
	return len(hits), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// pageToken is a page's last run id.
func pageToken(id int64) string { return "r" + strconv.FormatInt(id, 36) }

func parseToken(t string) (int64, error) {
	if t == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(t, "r"), 36, 64)
	if err != nil || !strings.HasPrefix(t, "r") || id <= 0 {
		return 0, ErrBadToken
	}
	return id, nil
}
