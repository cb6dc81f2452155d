package consent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/consent"
)

// Pending is a double opt-in waiting for its confirmation.
type Pending struct {
	ID      int64
	Expires time.Time
	// Fresh: this call created it, so its confirmation text is to be
	// sent. A request while one waits returns that one, not fresh.
	Fresh bool
}

// RequestDoubleOptIn notes that number was asked to confirm a marketing
// opt-in (e's source, disclosure, IP and user agent are kept for the
// event Confirm records) and that the request expires after ttl. Nothing
// is granted yet. The caller sends the confirmation text when Fresh.
func (l *Ledger) RequestDoubleOptIn(ctx context.Context, e Event, ttl time.Duration) (Pending, error) {
	e.Kind, e.Method = consent.OptIn, MethodDoubleOptIn
	if e.Scope == 0 {
		e.Scope = consent.ScopeMarketing
	}
	e, err := e.check(l.now())
	if err != nil {
		return Pending{}, err
	}
	if e.Scope != consent.ScopeMarketing {
		return Pending{}, invalid("scope", "a double opt-in is to marketing")
	}
	if ttl <= 0 {
		return Pending{}, invalid("ttl", "must be positive")
	}
	key := l.hash.Key(e.Tenant, e.Number)
	var p Pending
	err = pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		// One request at a time per number: the lock orders concurrent ones.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(encode($1, 'hex'), 0))`, key[:]); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT id, expires_at FROM consent_pending
			WHERE key = $1 AND confirmed_at IS NULL AND expires_at > now() ORDER BY id DESC LIMIT 1`, key[:]).Scan(&p.ID, &p.Expires)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		p.Fresh = true
		return tx.QueryRow(ctx, `INSERT INTO consent_pending (tenant_id, key, number, source, disclosure, ip, user_agent, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6::inet, $7, now() + $8::interval) RETURNING id, expires_at`,
			e.Tenant, key[:], e.Number, e.Source, e.Disclosure, nullIP(e.IP), e.UserAgent, ttl.String()).Scan(&p.ID, &p.Expires)
	})
	if err != nil {
		return Pending{}, fmt.Errorf("double opt-in request: %w", err)
	}
	return p, nil
}

// Confirm completes number's latest waiting double opt-in: it records the
// opt-in (method double_opt_in, with the request's source and
// disclosure, and detail saying what confirmed it) and publishes the
// state. No request waiting is ErrNoPending (a replayed confirmation
// among them); one past its expiry is ErrExpired. A repeat of a dedupe
// already recorded returns the first record (dup true).
func (l *Ledger) Confirm(ctx context.Context, tenant, number, detail, dedupe string) (rec Recorded, st consent.State, dup bool, err error) {
	n, err := normalizeNumber(number)
	if err != nil {
		return rec, st, false, err
	}
	key := l.hash.Key(tenant, n)
	var ch change
	err = pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		e := Event{Tenant: tenant, Number: n, Channel: "sms", Kind: consent.OptIn, Scope: consent.ScopeMarketing,
			Method: MethodDoubleOptIn, Detail: detail, At: l.now(), Dedupe: dedupe}
		if dedupe != "" {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM consent_events WHERE tenant_id = $1 AND dedupe = $2)`, tenant, dedupe).Scan(&exists); err != nil {
				return err
			}
			if exists {
				var err error
				rec, ch, dup, err = l.record(ctx, tx, e)
				return err
			}
		}
		var id int64
		var expires time.Time
		var ip *string
		err := tx.QueryRow(ctx, `SELECT id, source, disclosure, host(ip), user_agent, expires_at FROM consent_pending
			WHERE key = $1 AND confirmed_at IS NULL ORDER BY id DESC LIMIT 1 FOR UPDATE`, key[:]).
			Scan(&id, &e.Source, &e.Disclosure, &ip, &e.UserAgent, &expires)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoPending
		}
		if err != nil {
			return err
		}
		if !expires.After(l.now()) {
			return ErrExpired
		}
		if ip != nil {
			e.IP = *ip
		}
		if _, err := tx.Exec(ctx, `UPDATE consent_pending SET confirmed_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		rec, ch, dup, err = l.record(ctx, tx, e)
		return err
	})
	if errors.Is(err, ErrNoPending) || errors.Is(err, ErrExpired) {
		return rec, st, false, err
	}
	if err != nil {
		return rec, st, false, fmt.Errorf("double opt-in confirm: %w", err)
	}
	if !dup {
		l.publish(ctx, ch)
	}
	return rec, ch.state, dup, nil
}

// PendingUntil returns when number's waiting double opt-in expires, or
// false when none waits.
func (l *Ledger) PendingUntil(ctx context.Context, tenant, number string) (time.Time, bool, error) {
	n, err := normalizeNumber(number)
	if err != nil {
		return time.Time{}, false, err
	}
	key := l.hash.Key(tenant, n)
	var t time.Time
	err = l.pool.QueryRow(ctx, `SELECT expires_at FROM consent_pending
		WHERE key = $1 AND confirmed_at IS NULL AND expires_at > now() ORDER BY id DESC LIMIT 1`, key[:]).Scan(&t)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("double opt-in pending: %w", err)
	}
	return t, true, nil
}
