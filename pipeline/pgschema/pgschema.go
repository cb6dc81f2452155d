// Package pgschema applies a component's PostgreSQL schema migrations. Each
// component (the pipeline, the SMPP gateway, the tenant registry, …) keeps
// its own ordered list of steps and its own version table in the shared
// database. It owns nothing else: no queries, no connections of its own.
package pgschema

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Set is one component's migrations.
type Set struct {
	// Name labels log lines and errors, e.g. "smpp gateway".
	Name string
	// Table records the applied versions, e.g. "schema_migrations".
	Table string
	// Steps are applied in order; Steps[0] is unused so that a version is
	// its index. Append only: an applied step is never edited.
	Steps []string
	// LockID is the advisory lock taken while migrating; 0 derives one
	// from Table.
	LockID int64
}

func (s Set) lockID() int64 {
	if s.LockID != 0 {
		return s.LockID
	}
	h := fnv.New32a()
	h.Write([]byte(s.Table))
	return int64(h.Sum32())
}

// Migrate applies the steps of s not yet recorded in s.Table, each in its
// own transaction, under an advisory lock so that instances starting
// together do not race.
func Migrate(ctx context.Context, pool *pgxpool.Pool, s Set, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("%s migrate: %w", s.Name, err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", s.lockID()); err != nil {
		return fmt.Errorf("%s migrate: lock: %w", s.Name, err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", s.lockID())
	table := pgx.Identifier{s.Table}.Sanitize()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
		version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("%s migrate: %w", s.Name, err)
	}
	var applied int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+table).Scan(&applied); err != nil {
		return fmt.Errorf("%s migrate: %w", s.Name, err)
	}
	for v := applied + 1; v < len(s.Steps); v++ {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, s.Steps[v]); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO "+table+" (version) VALUES ($1)", v)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s migrate to version %d: %w", s.Name, v, err)
		}
		log.Info("postgres schema migrated", "component", s.Name, "version", v)
	}
	return nil
}
