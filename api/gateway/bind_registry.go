package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/carriers/smpp"
)

// registerBind records a session of systemID in the shared bind table,
// unless limit sessions of the account are already alive on any instance.
// Binds of one account are serialized on its account row.
func (s *Store) registerBind(ctx context.Context, systemID, instance, remote string, bt smpp.BindType, limit int, stale time.Duration) (id int64, ok bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT 1 FROM smpp_accounts WHERE system_id = $1 FOR UPDATE", systemID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM smpp_binds WHERE system_id = $1 AND seen_at < now() - $2::interval", systemID, stale); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM smpp_binds WHERE system_id = $1", systemID).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return nil
		}
		ok = true
		return tx.QueryRow(ctx, `INSERT INTO smpp_binds (system_id, instance, remote, bind_type) VALUES ($1, $2, $3, $4) RETURNING id`,
			systemID, instance, remote, int16(bt)).Scan(&id)
	})
	if err != nil {
		return 0, false, fmt.Errorf("register bind of %s: %w", systemID, err)
	}
	return id, ok, nil
}

// unregisterBind removes an ended session.
func (s *Store) unregisterBind(ctx context.Context, id int64) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM smpp_binds WHERE id = $1", id); err != nil {
		return fmt.Errorf("unregister bind: %w", err)
	}
	return nil
}

// unregisterInstance removes every session of an instance that stops.
func (s *Store) unregisterInstance(ctx context.Context, instance string) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM smpp_binds WHERE instance = $1", instance); err != nil {
		return fmt.Errorf("unregister binds: %w", err)
	}
	return nil
}

// share is how many of an account's sessions that may submit are on this
// instance, and on all instances.
type share struct{ local, total int }

// touchBinds marks the bind rows of this instance's live sessions alive.
// Only those: a row whose session ended without its delete (the database
// was away) is left to go stale, so it cannot hold a bind slot for ever.
func (s *Store) touchBinds(ctx context.Context, instance string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, "UPDATE smpp_binds SET seen_at = now() WHERE instance = $1 AND id = ANY($2)", instance, ids); err != nil {
		return fmt.Errorf("bind heartbeat: %w", err)
	}
	return nil
}

// shares returns the submitting sessions of the named accounts, on this
// instance and everywhere.
func (s *Store) shares(ctx context.Context, instance string, systemIDs []string, stale time.Duration) (map[string]share, error) {
	rows, err := s.pool.Query(ctx, `SELECT system_id, count(*) FILTER (WHERE instance = $1), count(*)
		FROM smpp_binds WHERE system_id = ANY($2) AND bind_type IN ($3, $4) AND seen_at >= now() - $5::interval
		GROUP BY system_id`, instance, systemIDs, int16(smpp.BindTransmitter), int16(smpp.BindTransceiver), stale)
	if err != nil {
		return nil, fmt.Errorf("bind shares: %w", err)
	}
	defer rows.Close()
	out := make(map[string]share, len(systemIDs))
	for rows.Next() {
		var id string
		var sh share
		if err := rows.Scan(&id, &sh.local, &sh.total); err != nil {
			return nil, fmt.Errorf("bind shares: %w", err)
		}
		out[id] = sh
	}
	return out, rows.Err()
}
