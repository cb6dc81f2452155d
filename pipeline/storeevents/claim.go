package storeevents

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/core/commerce"
)

// claim records the ids of events[idx] and returns which are to be
// produced: new ones, and ones claimed before but never produced.
func (t *Tracker) claim(ctx context.Context, events []commerce.Event, idx []int) (map[int]bool, error) {
	tenants, ids := make([]string, len(idx)), make([]string, len(idx))
	at := map[[2]string]int{}
	for k, i := range idx {
		tenants[k], ids[k] = events[i].Tenant, events[i].ID
		at[[2]string{tenants[k], ids[k]}] = i
	}
	fresh := map[int]bool{}
	err := pgx.BeginFunc(ctx, t.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO store_event_ids (tenant_id, event_id)
			SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING RETURNING tenant_id, event_id`, tenants, ids)
		if err != nil {
			return err
		}
		if err := collect(rows, at, fresh); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT s.tenant_id, s.event_id FROM store_event_ids s
			JOIN unnest($1::text[], $2::text[]) AS x(t, e) ON s.tenant_id = x.t AND s.event_id = x.e WHERE NOT s.produced`, tenants, ids)
		if err != nil {
			return err
		}
		return collect(rows, at, fresh)
	})
	if err != nil {
		return nil, fmt.Errorf("claim store event ids: %w", err)
	}
	return fresh, nil
}

func collect(rows pgx.Rows, at map[[2]string]int, into map[int]bool) error {
	defer rows.Close()
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return err
		}
		into[at[k]] = true
	}
	return rows.Err()
}

// produce puts events[idx] on the topic and marks the acknowledged ones
// produced. An event Kafka did not take gets ErrUnavailable; its claim
// stays unproduced, so a retry produces it.
func (t *Tracker) produce(ctx context.Context, events []commerce.Event, idx []int, now time.Time, out []Result) {
	if len(idx) == 0 {
		return
	}
	recs := make([]*kgo.Record, 0, len(idx))
	var sent []int
	for _, i := range idx {
		v, err := Encode(events[i], now)
		if err != nil {
			out[i].Err = err
			continue
		}
		recs = append(recs, &kgo.Record{Key: Key(events[i]), Value: v, Timestamp: now})
		sent = append(sent, i)
	}
	pctx, cancel := context.WithTimeout(ctx, produceTimeout)
	defer cancel()
	res := t.cl.ProduceSync(pctx, recs...)
	var tenants, ids []string
	for k, r := range res {
		i := sent[k]
		if r.Err != nil {
			out[i].Err = fmt.Errorf("%w: produce: %w", ErrUnavailable, r.Err)
			continue
		}
		tenants, ids = append(tenants, events[i].Tenant), append(ids, events[i].ID)
	}
	if len(ids) == 0 {
		return
	}
	if _, err := t.pool.Exec(context.WithoutCancel(ctx), `UPDATE store_event_ids s SET produced = true
		FROM unnest($1::text[], $2::text[]) AS x(t, e) WHERE s.tenant_id = x.t AND s.event_id = x.e`, tenants, ids); err != nil {
		// On Kafka already: a redelivery produces it again, which
		// consumers dedupe.
		t.log.Warn("store events produced, not marked", "err", err)
	}
}

// KeepIDs is how long an event id is remembered for dedupe: longer than
// the platforms retry (Shopify: 48 hours).
const KeepIDs = 7 * 24 * time.Hour

// Prune forgets the event ids taken in before before, in batches, and
// returns how many.
func (t *Tracker) Prune(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		tag, err := t.pool.Exec(ctx, `DELETE FROM store_event_ids WHERE ctid IN (
			SELECT ctid FROM store_event_ids WHERE created_at < $1 LIMIT 10000)`, before)
		if err != nil {
			return total, fmt.Errorf("prune store event ids: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < 10000 {
			return total, nil
		}
	}
}

// Run prunes event ids older than KeepIDs every hour until ctx ends.
func (t *Tracker) Run(ctx context.Context) error {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if _, err := t.Prune(ctx, t.now().Add(-KeepIDs)); err != nil && ctx.Err() == nil {
			t.log.Warn("prune store event ids", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
