package webhooks

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Delivery states, as stored.
const (
	statePending   = 1
	stateDelivered = 2
	stateFailed    = 3
)

// record writes the outcomes of a batch: each row delivered, failed for
// good, or due again after its backoff; each attempt in the log; and the
// endpoint's health.
func (o *Outbox) record(ctx context.Context, endpoint string, rows []claimed, res []result) error {
	n := len(rows)
	ids, states, next := make([]int64, n), make([]int16, n), make([]time.Time, n)
	codes, latency := make([]int32, n), make([]int64, n)
	errs, at := make([]string, n), make([]time.Time, n)
	okAny, lastErr := false, ""
	for i, r := range rows {
		x := res[i]
		ids[i], codes[i], errs[i], latency[i], at[i] = r.id, int32(x.status), truncate(x.err, 500), x.latency.Microseconds(), x.at
		switch {
		case x.ok:
			states[i], next[i], okAny = stateDelivered, x.at, true
		default:
			lastErr = x.err
			states[i], next[i] = statePending, x.at.Add(o.backoff(r.attempts+1))
			if next[i].Sub(r.created) >= o.cfg.GiveUpAfter {
				states[i] = stateFailed
			}
		}
	}
	_, err := o.pool.Exec(ctx, `WITH x AS (SELECT * FROM unnest($1::int8[], $2::int2[], $3::timestamptz[], $4::int4[], $5::text[], $6::int8[], $7::timestamptz[])
			AS x(id, state, next, code, err, lat, at)),
		u AS (UPDATE webhook_outbox o SET state = x.state, next_attempt_at = x.next, attempts = o.attempts + 1, lease_until = NULL,
			delivered_at = CASE WHEN x.state = 2 THEN x.at END FROM x WHERE o.id = x.id)
		INSERT INTO webhook_attempts (outbox_id, at, status_code, error, latency_us) SELECT id, at, code, err, lat FROM x`,
		ids, states, next, codes, errs, latency, at)
	if err != nil {
		return fmt.Errorf("record webhook deliveries: %w", err)
	}
	if endpoint == "" {
		return nil
	}
	if okAny {
		_, err := o.pool.Exec(ctx, `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, endpoint)
		return err
	}
	return o.failing(ctx, endpoint, lastErr)
}

// failing notes that endpoint failed a whole batch, and disables it once
// it has failed for GiveUpAfter with no success in between.
func (o *Outbox) failing(ctx context.Context, endpoint, lastErr string) error {
	now := o.now()
	var since time.Time
	if err := o.pool.QueryRow(ctx, `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2) WHERE id = $1
		RETURNING failing_since`, endpoint, now).Scan(&since); err != nil {
		return fmt.Errorf("webhook endpoint health: %w", err)
	}
	if now.Sub(since) < o.cfg.GiveUpAfter {
		return nil
	}
	reason := fmt.Sprintf("failing since %s: %s", since.UTC().Format(time.RFC3339), truncate(lastErr, 200))
	var tenant, url string
	err := o.pool.QueryRow(ctx, `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now()
		WHERE id = $1 AND enabled RETURNING tenant_id, url`, endpoint, reason).Scan(&tenant, &url)
	if err != nil {
		return nil // disabled already, by another instance or the tenant
	}
	o.log.Warn("webhook endpoint disabled", "endpoint", endpoint, "tenant", tenant, "reason", reason)
	o.snap.Store(nil)
	ev := Event{ID: EventID("endpoint_disabled", endpoint, since.UTC().Format(time.RFC3339Nano)), Tenant: tenant, Type: EndpointDisabled,
		Created: now, Data: map[string]any{"endpoint_id": endpoint, "url": url, "failing_since": since.UTC().Format(time.RFC3339), "reason": reason}}
	return o.Emit(ctx, []Event{ev})
}

// prune deletes delivered and failed rows (and their attempts) older
// than KeepLog, in batches.
func (o *Outbox) prune(ctx context.Context) error {
	for {
		tag, err := o.pool.Exec(ctx, `DELETE FROM webhook_outbox WHERE id IN (
			SELECT id FROM webhook_outbox WHERE state <> 1 AND created_at < $1 LIMIT 5000)`, o.now().Add(-o.cfg.KeepLog))
		if err != nil || tag.RowsAffected() < 5000 {
			return err
		}
	}
}

// truncate cuts s to at most n bytes of valid UTF-8.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}
