package consent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/core/consent"
)

// Ledger writes the consent ledger and publishes every state change.
// Every instance shares its tables. Safe for concurrent use.
type Ledger struct {
	pool  *pgxpool.Pool
	hash  *Hasher
	pub   *publisher
	topic TopicConfig
	local atomic.Pointer[Set]
	log   *slog.Logger
	now   func() time.Time
}

// Option configures a Ledger.
type Option interface{ apply(*Ledger) }

type optionFunc func(*Ledger)

func (f optionFunc) apply(l *Ledger) { f(l) }

// WithLogger sets the ledger's logger.
func WithLogger(log *slog.Logger) Option { return optionFunc(func(l *Ledger) { l.log = log }) }

// Open connects to PostgreSQL at url, applies the migrations and returns
// a Ledger publishing to topic c.Topic.
func Open(ctx context.Context, url string, h *Hasher, c TopicConfig, opts ...Option) (*Ledger, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	l := &Ledger{hash: h, topic: c, log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, o := range opts {
		o.apply(l)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	if cfg.MaxConns < 4 {
		cfg.MaxConns = 4
	}
	if l.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := l.migrate(ctx); err != nil {
		l.pool.Close()
		return nil, err
	}
	if l.pub, err = newPublisher(c); err != nil {
		l.pool.Close()
		return nil, err
	}
	return l, nil
}

// Close closes the producer and the connection pool.
func (l *Ledger) Close() {
	l.pub.close()
	l.pool.Close()
}

// change is a state row after a write, to publish.
type change struct {
	key     Key
	tenant  string
	state   consent.State
	version int64
}

// Record appends e and updates the number's state in one transaction,
// then publishes the state. A repeat of an e.Dedupe already recorded
// returns the first record and changes nothing (dup true). A
// double-opt-in opt-in cannot be recorded here: it is Confirm's.
func (l *Ledger) Record(ctx context.Context, e Event) (rec Recorded, st consent.State, dup bool, err error) {
	e, err = e.check(l.now())
	if err != nil {
		return rec, st, false, err
	}
	if e.Method == MethodDoubleOptIn && e.Kind == consent.OptIn {
		return rec, st, false, invalid("method", "a double opt-in is recorded when the number confirms it (RequestDoubleOptIn)")
	}
	var ch change
	err = pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		var err error
		rec, ch, dup, err = l.record(ctx, tx, e)
		return err
	})
	if err != nil {
		return rec, st, false, err
	}
	if !dup {
		l.publish(ctx, ch)
	}
	return rec, ch.state, dup, nil
}

// record appends e within tx and applies it to the state row.
func (l *Ledger) record(ctx context.Context, tx pgx.Tx, e Event) (Recorded, change, bool, error) {
	key := l.hash.Key(e.Tenant, e.Number)
	rec := Recorded{Event: e}
	if e.Dedupe != "" {
		err := tx.QueryRow(ctx, `SELECT id, recorded_at, kind, scope, method, source, disclosure, coalesce(host(ip), ''), user_agent, detail, occurred_at
			FROM consent_events WHERE tenant_id = $1 AND dedupe = $2`, e.Tenant, e.Dedupe).
			Scan(&rec.ID, &rec.Recorded, &rec.Kind, &rec.Scope, &rec.Method, &rec.Source, &rec.Disclosure, &rec.IP, &rec.UserAgent, &rec.Detail, &rec.At)
		if err == nil {
			st, err := l.stateTx(ctx, tx, key)
			return rec, change{key: key, tenant: e.Tenant, state: st}, true, err
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return rec, change{}, false, fmt.Errorf("consent record: %w", err)
		}
	}
	var dedupe *string
	if e.Dedupe != "" {
		dedupe = &e.Dedupe
	}
	err := tx.QueryRow(ctx, `INSERT INTO consent_events (tenant_id, number, key, channel, kind, scope, method, source, disclosure, ip, user_agent, detail, dedupe, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::inet, $11, $12, $13, $14) RETURNING id, recorded_at`,
		e.Tenant, e.Number, key[:], e.Channel, int16(e.Kind), int16(e.Scope), int16(e.Method), e.Source, e.Disclosure,
		nullIP(e.IP), e.UserAgent, e.Detail, dedupe, e.At).Scan(&rec.ID, &rec.Recorded)
	if err != nil {
		return rec, change{}, false, fmt.Errorf("consent record: %w", err)
	}
	ch, err := l.apply(ctx, tx, key, e.Tenant, &e.Number, func(s consent.State) consent.State { return s.Apply(e.Kind, e.Scope) })
	return rec, ch, false, err
}

// apply updates key's state row with f under a row lock and returns it.
// number nil leaves a tombstone.
func (l *Ledger) apply(ctx context.Context, tx pgx.Tx, key Key, tenant string, number *string, f func(consent.State) consent.State) (change, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO consent_state (key, tenant_id, number) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
		key[:], tenant, number); err != nil {
		return change{}, fmt.Errorf("consent state: %w", err)
	}
	var bits int16
	if err := tx.QueryRow(ctx, `SELECT bits FROM consent_state WHERE key = $1 FOR UPDATE`, key[:]).Scan(&bits); err != nil {
		return change{}, fmt.Errorf("consent state: %w", err)
	}
	st := f(consent.FromBits(uint8(bits)))
	ch := change{key: key, tenant: tenant, state: st}
	err := tx.QueryRow(ctx, `UPDATE consent_state SET bits = $2, number = $3, version = version + 1, updated_at = now()
		WHERE key = $1 RETURNING version`, key[:], int16(st.Bits()), number).Scan(&ch.version)
	if err != nil {
		return change{}, fmt.Errorf("consent state: %w", err)
	}
	return ch, nil
}

func (l *Ledger) stateTx(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, key Key) (consent.State, error) {
	var bits int16
	err := q.QueryRow(ctx, `SELECT bits FROM consent_state WHERE key = $1`, key[:]).Scan(&bits)
	if errors.Is(err, pgx.ErrNoRows) {
		return consent.State{}, nil
	}
	if err != nil {
		return consent.State{}, fmt.Errorf("consent state: %w", err)
	}
	return consent.FromBits(uint8(bits)), nil
}

// State reads a number's state from PostgreSQL, for the API; the hot
// path asks a Set.
func (l *Ledger) State(ctx context.Context, tenant, number string) (consent.State, error) {
	n, err := normalizeNumber(number)
	if err != nil {
		return consent.State{}, err
	}
	return l.stateTx(ctx, l.pool, l.hash.Key(tenant, n))
}

// MaxEvents is the most events Events returns.
const MaxEvents = 1000

// Events returns a number's audit trail, oldest first, up to MaxEvents.
func (l *Ledger) Events(ctx context.Context, tenant, number string) ([]Recorded, error) {
	n, err := normalizeNumber(number)
	if err != nil {
		return nil, err
	}
	key := l.hash.Key(tenant, n)
	rows, err := l.pool.Query(ctx, `SELECT id, number, channel, kind, scope, method, source, disclosure, coalesce(host(ip), ''),
		user_agent, detail, occurred_at, recorded_at FROM consent_events WHERE key = $1 ORDER BY id LIMIT $2`, key[:], MaxEvents)
	if err != nil {
		return nil, fmt.Errorf("consent events: %w", err)
	}
	defer rows.Close()
	var out []Recorded
	for rows.Next() {
		r := Recorded{Event: Event{Tenant: tenant}}
		if err := rows.Scan(&r.ID, &r.Number, &r.Channel, &r.Kind, &r.Scope, &r.Method, &r.Source, &r.Disclosure, &r.IP,
			&r.UserAgent, &r.Detail, &r.At, &r.Recorded); err != nil {
			return nil, fmt.Errorf("consent events: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Erase deletes a number's events and pending confirmations (GDPR
// Art. 17) and leaves its state as a tombstone: the hash only, opted out
// of everything, so that the number stays suppressed. It returns how
// many events it deleted. Erasing again is harmless.
func (l *Ledger) Erase(ctx context.Context, tenant, number string) (int64, error) {
	n, err := normalizeNumber(number)
	if err != nil {
		return 0, err
	}
	key := l.hash.Key(tenant, n)
	var deleted int64
	var ch change
	err = pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('tern.consent_erase', 'on', true)`); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM consent_events WHERE key = $1`, key[:])
		if err != nil {
			return err
		}
		deleted = tag.RowsAffected()
		if _, err := tx.Exec(ctx, `DELETE FROM consent_pending WHERE key = $1`, key[:]); err != nil {
			return err
		}
		if err := eraseHygiene(ctx, tx, key); err != nil {
			return err
		}
		ch, err = l.apply(ctx, tx, key, tenant, nil, func(consent.State) consent.State { return consent.Erasure() })
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("consent erase: %w", err)
	}
	l.publish(ctx, ch)
	return deleted, nil
}
