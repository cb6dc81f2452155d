package gateway

import (
	"context"
	"fmt"
	"time"
)

// orphanAge is how long a final status waits for its message's intake
// half. The intake writes its half right after the Kafka ack, so a final
// status still alone after this belongs to a message that asked for no
// receipt (or whose half could not be written).
const orphanAge = 10 * time.Minute

// expired counts rows the janitor dropped from the outbox.
type expired struct{ age, limit int64 }

// expire deletes what waited too long: outbox rows older than ttl,
// accounts' oldest rows beyond their max_queued, final statuses without
// their message and messages that never ended within ttl.
func (s *Store) expire(ctx context.Context, ttl time.Duration) (expired, error) {
	var out expired
	if _, err := s.pool.Exec(ctx, `DELETE FROM smpp_messages
		WHERE (system_id IS NULL AND updated_at < now() - $1::interval)
		   OR (status IS NULL AND updated_at < now() - $2::interval)`, orphanAge, ttl); err != nil {
		return out, fmt.Errorf("expire receipt join: %w", err)
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM smpp_outbox WHERE created_at < now() - $1::interval", ttl)
	if err != nil {
		return out, fmt.Errorf("expire outbox: %w", err)
	}
	out.age = tag.RowsAffected()
	rows, err := s.pool.Query(ctx, `SELECT o.system_id, count(*) - a.max_queued
		FROM smpp_outbox o JOIN smpp_accounts a ON a.system_id = o.system_id
		GROUP BY o.system_id, a.max_queued HAVING count(*) > a.max_queued`)
	if err != nil {
		return out, fmt.Errorf("outbox limits: %w", err)
	}
	type over struct {
		id string
		n  int64
	}
	var overs []over
	for rows.Next() {
		var o over
		if err := rows.Scan(&o.id, &o.n); err != nil {
			rows.Close()
			return out, fmt.Errorf("outbox limits: %w", err)
		}
		overs = append(overs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("outbox limits: %w", err)
	}
	for _, o := range overs {
		tag, err := s.pool.Exec(ctx, `DELETE FROM smpp_outbox WHERE id IN
			(SELECT id FROM smpp_outbox WHERE system_id = $1 ORDER BY id LIMIT $2)`, o.id, o.n)
		if err != nil {
			return out, fmt.Errorf("outbox limit of %s: %w", o.id, err)
		}
		out.limit += tag.RowsAffected()
		s.log.Warn("smpp receipts and replies expired: account over its queue limit", "system_id", o.id, "count", tag.RowsAffected())
	}
	return out, nil
}

// janitor runs expire every interval until ctx ends.
func (srv *Server) janitor(ctx context.Context) {
	t := time.NewTicker(srv.cfg.JanitorInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ex, err := srv.store.expire(ctx, srv.cfg.QueueTTL)
		if err != nil {
			if ctx.Err() == nil {
				srv.log.Warn("smpp janitor", "err", err)
			}
			continue
		}
		if ex.age > 0 {
			srv.log.Warn("smpp receipts and replies expired: older than the queue ttl", "count", ex.age, "ttl", srv.cfg.QueueTTL)
		}
		srv.metrics.expired.WithLabelValues("age").Add(float64(ex.age))
		srv.metrics.expired.WithLabelValues("limit").Add(float64(ex.limit))
	}
}
