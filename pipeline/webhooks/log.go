package webhooks

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Attempt is one post of a delivery.
type Attempt struct {
	At      time.Time
	Status  int
	Error   string
	Latency time.Duration
}

// Delivery is one event's delivery to one endpoint.
type Delivery struct {
	EventID   string
	EventType string
	// State is "pending", "delivered" or "failed".
	State    string
	Created  time.Time
	NextAt   time.Time
	Attempts []Attempt
}

// MaxPage is the most deliveries one page holds.
const MaxPage = 100

var stateNames = map[int16]string{statePending: "pending", stateDelivered: "delivered", stateFailed: "failed"}

// Deliveries is tenant's endpoint's delivery log, newest first,
// pageSize (0 is 20) at a time after token, and the next page's token.
func (o *Outbox) Deliveries(ctx context.Context, tenant, endpoint string, pageSize int, token string) ([]Delivery, string, error) {
	if _, err := o.endpoint(ctx, tenant, endpoint); err != nil {
		return nil, "", err
	}
	after := int64(0)
	if token != "" {
		v, err := strconv.ParseInt(strings.TrimPrefix(token, "d"), 36, 64)
		if err != nil || !strings.HasPrefix(token, "d") || v <= 0 {
			return nil, "", ErrBadToken
		}
		after = v
	}
	if pageSize <= 0 {
		pageSize = 20
	}
	pageSize = min(pageSize, MaxPage)
	rows, err := o.pool.Query(ctx, `SELECT id, event_id, event_type, state, created_at, next_attempt_at FROM webhook_outbox
		WHERE endpoint_id = $1 AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3`, endpoint, after, pageSize+1)
	if err != nil {
		return nil, "", fmt.Errorf("webhook deliveries: %w", err)
	}
	var ids []int64
	var out []Delivery
	for rows.Next() {
		var id int64
		var d Delivery
		var state int16
		if err := rows.Scan(&id, &d.EventID, &d.EventType, &state, &d.Created, &d.NextAt); err != nil {
			rows.Close()
			return nil, "", err
		}
		d.State = stateNames[state]
		if state != statePending {
			d.NextAt = time.Time{}
		}
		ids, out = append(ids, id), append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > pageSize {
		out, ids, next = out[:pageSize], ids[:pageSize], "d"+strconv.FormatInt(ids[pageSize-1], 36)
	}
	return out, next, o.attempts(ctx, ids, out)
}

func (o *Outbox) attempts(ctx context.Context, ids []int64, out []Delivery) error {
	if len(ids) == 0 {
		return nil
	}
	at := map[int64]int{}
	for i, id := range ids {
		at[id] = i
	}
	rows, err := o.pool.Query(ctx, `SELECT outbox_id, at, status_code, error, latency_us FROM webhook_attempts WHERE outbox_id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return fmt.Errorf("webhook attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, us int64
		var a Attempt
		if err := rows.Scan(&id, &a.At, &a.Status, &a.Error, &us); err != nil {
			return err
		}
		a.Latency = time.Duration(us) * time.Microsecond
		out[at[id]].Attempts = append(out[at[id]].Attempts, a)
	}
	return rows.Err()
}

// MaxReplay is the most deliveries one Replay queues.
const MaxReplay = 10_000

// Replay queues again tenant's endpoint's deliveries of eventIDs, or
// when none are named, of every event created in [since, until), with
// their original event ids and bodies, for another GiveUpAfter. It
// returns how many it queued.
func (o *Outbox) Replay(ctx context.Context, tenant, endpoint string, eventIDs []string, since, until time.Time) (int64, error) {
	if _, err := o.endpoint(ctx, tenant, endpoint); err != nil {
		return 0, err
	}
	if len(eventIDs) == 0 && (since.IsZero() || !until.After(since)) {
		return 0, invalid("event_ids", "name events, or a time range with since before until")
	}
	if len(eventIDs) > MaxReplay {
		return 0, invalid("event_ids", fmt.Sprintf("at most %d", MaxReplay))
	}
	now := o.now()
	var tag interface{ RowsAffected() int64 }
	err := pgx.BeginFunc(ctx, o.pool, func(tx pgx.Tx) error {
		t, err := tx.Exec(ctx, `UPDATE webhook_outbox SET state = 1, next_attempt_at = $4, created_at = $4, lease_until = NULL
			WHERE id IN (SELECT id FROM webhook_outbox WHERE endpoint_id = $1 AND tenant_id = $2
				AND (event_id = ANY($3) OR cardinality($3) = 0 AND created_at >= $5 AND created_at < $6) LIMIT $7)`,
			endpoint, tenant, eventIDs, now, since, until, MaxReplay)
		tag = t
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("replay webhook events: %w", err)
	}
	o.poke(endpoint)
	return tag.RowsAffected(), nil
}
