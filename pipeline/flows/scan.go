package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/flow"
)

// daily runs the win-back scan once a day across all instances: the one
// that moves the job's last run forward does it.
func (e *Engine) daily(ctx context.Context) error {
	now := e.now()
	var name string
	err := e.pool.QueryRow(ctx, `INSERT INTO flow_jobs (name, last_run) VALUES ('win_back', $1)
		ON CONFLICT (name) DO UPDATE SET last_run = $1 WHERE flow_jobs.last_run < $2 RETURNING name`,
		now, now.Add(-23*time.Hour)).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("win-back job: %w", err)
	}
	_, err = e.ScanWinBack(ctx)
	return err
}

// scanBatch is how many lapsed customers one statement takes.
const scanBatch = 1000

// ScanWinBack starts a win-back run for every customer of a tenant with
// win-back enabled whose last order is older than the tenant's lapse,
// once per last order. It returns how many runs it started.
func (e *Engine) ScanWinBack(ctx context.Context) (int, error) {
	rows, err := e.pool.Query(ctx, `SELECT tenant_id FROM flow_settings WHERE flow_id = $1 AND enabled`, flow.WinBack)
	if err != nil {
		return 0, fmt.Errorf("win-back tenants: %w", err)
	}
	tenants, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("win-back tenants: %w", err)
	}
	total := 0
	for _, t := range tenants {
		views, err := e.views(ctx, e.pool, t)
		if err != nil {
			return total, err
		}
		for {
			n, err := e.scanTenant(ctx, t, views[flow.WinBack].Flow)
			total += n
			if err != nil {
				return total, err
			}
			if n < scanBatch {
				break
			}
		}
	}
	if total > 0 {
		e.wake()
	}
	return total, nil
}

// scanTenant starts runs of f for up to scanBatch of tenant's lapsed
// customers.
func (e *Engine) scanTenant(ctx context.Context, tenant string, f flow.Flow) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, `UPDATE flow_customers SET lapse_order_id = last_order_id
			WHERE (tenant_id, customer_key) IN (SELECT tenant_id, customer_key FROM flow_customers
				WHERE tenant_id = $1 AND last_order_at < $2 AND lapse_order_id <> last_order_id LIMIT $3 FOR UPDATE SKIP LOCKED)
			RETURNING customer_key, phone, vars, last_order_id`, tenant, e.now().Add(-f.InactiveFor), scanBatch)
		if err != nil {
			return err
		}
		var runs []newRun
		for rows.Next() {
			var raw []byte
			var order string
			r := newRun{tenant: tenant, flow: f.ID, event: "win-back scan", due: e.now()}
			if err := rows.Scan(&r.subject.CustomerKey, &r.phone, &raw, &order); err != nil {
				rows.Close()
				return err
			}
			json.Unmarshal(raw, &r.vars)
			r.once = "lapse:" + r.subject.CustomerKey + ":" + order
			runs = append(runs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range runs {
			if _, err := e.start(ctx, tx, r); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("win-back scan of %s: %w", tenant, err)
	}
	return n, nil
}
