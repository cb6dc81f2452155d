package campaigns

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// lockClass is the first key of campaigns' advisory locks; the second is
// a hash of the tenant and campaign id (a collision only serializes two
// campaigns).
const lockClass = 0x636d7067 // "cmpg"

// lock takes the campaign's advisory lock on a connection of its own,
// which then holds it until unlock: ok false when another instance (or
// another goroutine here) holds it. Expansion and withdrawal commit on
// that connection, so one that lost its connection, and with it the
// lock, commits nothing more.
func (s *Store) lock(ctx context.Context, tenant, id string) (*pgxpool.Conn, bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("campaign lock: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1::int4, hashtext($2))`, lockClass, tenant+"/"+id).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, fmt.Errorf("campaign lock: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	return conn, true, nil
}

// unlock releases the lock and the connection; a connection that cannot
// say so is closed, which releases the lock too.
func (s *Store) unlock(conn *pgxpool.Conn, tenant, id string) {
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1::int4, hashtext($2))`, lockClass, tenant+"/"+id); err != nil {
		c := conn.Hijack()
		c.Close(ctx)
		return
	}
	conn.Release()
}
