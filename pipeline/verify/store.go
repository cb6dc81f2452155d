package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/core/verify"
)

// Store keeps verifications, sends, prefix counts, blocks and policies
// in PostgreSQL. Every instance shares it.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

// Open connects to PostgreSQL at url and applies the migrations. A nil
// log discards.
func Open(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, log: log}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connection pool.
func (s *Store) Close() { s.pool.Close() }

// Policy returns tenant's policy as set (no defaults applied); the zero
// Policy when none was set.
func (s *Store) Policy(ctx context.Context, tenant string) (verify.Policy, error) {
	var p verify.Policy
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT policy FROM verify_policies WHERE tenant_id = $1`, tenant).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("verify policy: %w", err)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		s.log.Error("verify policy unreadable; defaults apply", "tenant", tenant, "err", err)
		return verify.Policy{}, nil
	}
	return p, nil
}

// SetPolicy replaces tenant's policy after validating it.
func (s *Store) SetPolicy(ctx context.Context, tenant string, p verify.Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("verify policy: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO verify_policies (tenant_id, policy) VALUES ($1, $2)
		ON CONFLICT (tenant_id) DO UPDATE SET policy = excluded.policy, updated_at = now()`, tenant, raw)
	if err != nil {
		return fmt.Errorf("set verify policy: %w", err)
	}
	return nil
}

// Verification is one verification as stored.
type Verification struct {
	ID         string
	Tenant     string
	To         string
	Region     string
	Prefix     string
	Channel    string
	Locale     string
	CodeLength int
	// Status is as of the read: a pending verification past its expiry
	// reads expired.
	Status    verify.Status
	Checks    int
	Sends     int
	MessageID string
	Created   time.Time
	Expires   time.Time
	Updated   time.Time
	// Approved is zero until approved.
	Approved time.Time

	salt, hash []byte
}

const verificationColumns = `id, tenant_id, recipient, region, prefix, channel, locale, code_length, salt, code_hash,
	status, checks, sends, message_id, created_at, expires_at, updated_at, approved_at`

func scanVerification(row pgx.Row) (Verification, error) {
	var v Verification
	var length, status, checks, sends int16
	var approved *time.Time
	err := row.Scan(&v.ID, &v.Tenant, &v.To, &v.Region, &v.Prefix, &v.Channel, &v.Locale, &length, &v.salt, &v.hash,
		&status, &checks, &sends, &v.MessageID, &v.Created, &v.Expires, &v.Updated, &approved)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("verification: %w", err)
	}
	v.CodeLength, v.Status, v.Checks, v.Sends = int(length), verify.Status(status), int(checks), int(sends)
	if approved != nil {
		v.Approved = *approved
	}
	return v, nil
}

// asOf returns v with a pending status past its expiry read as expired.
func (v Verification) asOf(now time.Time) Verification {
	if v.Status == verify.StatusPending && !now.Before(v.Expires) {
		v.Status = verify.StatusExpired
	}
	return v
}

// Retention bounds: verifications and their sends are deleted this long
// after they started; prefix counts after the longest baseline.
const (
	Retention      = 30 * 24 * time.Hour
	countRetention = 31 * 24 * time.Hour
	sendRetention  = 25 * time.Hour
)

// Prune deletes what the retention bounds let go, as of now.
func (s *Store) Prune(ctx context.Context, now time.Time) error {
	for _, q := range []struct {
		sql string
		at  time.Time
	}{
		{`DELETE FROM verifications WHERE created_at < $1`, now.Add(-Retention)},
		{`DELETE FROM verify_sends WHERE sent_at < $1`, now.Add(-sendRetention)},
		{`DELETE FROM verify_prefix_counts WHERE bucket < $1`, now.Add(-countRetention)},
		{`DELETE FROM verify_blocks WHERE until < $1`, now.Add(-24 * time.Hour)},
	} {
		if _, err := s.pool.Exec(ctx, q.sql, q.at); err != nil {
			return fmt.Errorf("prune verifications: %w", err)
		}
	}
	return nil
}
