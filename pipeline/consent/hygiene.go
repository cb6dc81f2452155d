package consent

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/hygiene"
)

// hygieneMigration keeps list hygiene's suppressions beside the consent
// states: the state's Hygiene bits are what the send checks read; these
// tables say when, why and who, and keep a log of every change.
const hygieneMigration = `
-- One row per number list hygiene ever suppressed: class 0 once cleared.
-- number is NULL once erased.
CREATE TABLE consent_hygiene (
	key           bytea       PRIMARY KEY,
	tenant_id     text        NOT NULL,
	number        text,
	class         smallint    NOT NULL DEFAULT 0,
	detail        text        NOT NULL DEFAULT '',
	suppressed_at timestamptz,
	cleared_at    timestamptz,
	cleared_by    text        NOT NULL DEFAULT '',
	updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_hygiene_tenant ON consent_hygiene (tenant_id, number);

-- Every suppression and clear, oldest first; erased with the number.
CREATE TABLE consent_hygiene_log (
	id        bigserial   PRIMARY KEY,
	key       bytea       NOT NULL,
	tenant_id text        NOT NULL,
	action    text        NOT NULL,
	class     smallint    NOT NULL,
	detail    text        NOT NULL DEFAULT '',
	actor     text        NOT NULL DEFAULT '',
	at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_hygiene_log_key ON consent_hygiene_log (key, id);

`

// e164Shape is what a number list hygiene acts on may look like when the
// number plan no longer knows it: it was messaged in this form.
var e164Shape = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func hygieneNumber(number string) (string, error) {
	n, err := normalizeNumber(number)
	if err != nil && e164Shape.MatchString(number) {
		return number, nil
	}
	return n, err
}

// SuppressHygiene suppresses number for marketing with a permanent
// class, publishes the new state and logs why (detail). It reports
// whether anything changed: a number already suppressed with the same
// class is left as it is.
func (l *Ledger) SuppressHygiene(ctx context.Context, tenant, number string, class hygiene.Class, detail string) (bool, error) {
	if !class.Permanent() {
		return false, invalid("class", fmt.Sprintf("%s does not suppress", class))
	}
	return l.hygiene(ctx, tenant, number, func(cur consent.Hygiene) (consent.Hygiene, string, bool) {
		return consent.HygieneOf(class), "suppress", cur != consent.HygieneOf(class)
	}, detail, "")
}

// ClearHygiene lifts number's hygiene suppression, publishes the new state
// and logs who lifted it (by: hygiene.ClearedByDelivery, or the caller). It
// reports whether the number was suppressed.
func (l *Ledger) ClearHygiene(ctx context.Context, tenant, number, by string) (bool, error) {
	return l.hygiene(ctx, tenant, number, func(cur consent.Hygiene) (consent.Hygiene, string, bool) {
		return 0, "clear", cur != 0
	}, "", by)
}

// hygiene applies f to number's Hygiene bits in one transaction with its
// row in consent_hygiene and a log line, then publishes the state.
func (l *Ledger) hygiene(ctx context.Context, tenant, number string, f func(consent.Hygiene) (consent.Hygiene, string, bool), detail, by string) (bool, error) {
	if tenant == "" {
		return false, invalid("tenant", "required")
	}
	n, err := hygieneNumber(number)
	if err != nil {
		return false, err
	}
	key := l.hash.Key(tenant, n)
	var ch change
	changed := false
	err = pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		st, err := l.stateForUpdate(ctx, tx, key)
		if err != nil {
			return err
		}
		next, action, ok := f(st.Hygiene)
		if !ok {
			return nil
		}
		changed = true
		if ch, err = l.apply(ctx, tx, key, tenant, &n, func(s consent.State) consent.State { s.Hygiene = next; return s }); err != nil {
			return err
		}
		return logHygiene(ctx, tx, key, tenant, n, action, next.Class(), detail, by)
	})
	if err != nil {
		return false, fmt.Errorf("consent hygiene: %w", err)
	}
	if changed {
		l.publish(ctx, ch)
	}
	return changed, nil
}

// stateForUpdate reads key's state under a row lock; the zero State when
// it has none yet (apply then creates it).
func (l *Ledger) stateForUpdate(ctx context.Context, tx pgx.Tx, key Key) (consent.State, error) {
	var bits int16
	err := tx.QueryRow(ctx, `SELECT bits FROM consent_state WHERE key = $1 FOR UPDATE`, key[:]).Scan(&bits)
	if errors.Is(err, pgx.ErrNoRows) {
		return consent.State{}, nil
	}
	return consent.FromBits(uint8(bits)), err
}

func logHygiene(ctx context.Context, tx pgx.Tx, key Key, tenant, number, action string, class hygiene.Class, detail, by string) error {
	_, err := tx.Exec(ctx, `INSERT INTO consent_hygiene (key, tenant_id, number, class, detail, suppressed_at, cleared_at, cleared_by)
		VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 = 'suppress' THEN now() END, CASE WHEN $6 = 'clear' THEN now() END, $7)
		ON CONFLICT (key) DO UPDATE SET number = excluded.number, class = excluded.class, updated_at = now(),
			detail = CASE WHEN $6 = 'suppress' THEN excluded.detail ELSE consent_hygiene.detail END,
			suppressed_at = coalesce(excluded.suppressed_at, consent_hygiene.suppressed_at),
			cleared_at = coalesce(excluded.cleared_at, consent_hygiene.cleared_at),
			cleared_by = CASE WHEN $6 = 'clear' THEN excluded.cleared_by ELSE consent_hygiene.cleared_by END`,
		key[:], tenant, number, int16(class), detail, action, by)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO consent_hygiene_log (key, tenant_id, action, class, detail, actor) VALUES ($1, $2, $3, $4, $5, $6)`,
		key[:], tenant, action, int16(class), detail, by)
	return err
}

// HygieneMarks returns the numbers of tenant list hygiene ever suppressed,
// suppressed now or cleared since; erased numbers are left out.
func (l *Ledger) HygieneMarks(ctx context.Context, tenant string) ([]hygiene.Mark, error) {
	rows, err := l.pool.Query(ctx, `SELECT number, class, suppressed_at, cleared_at, cleared_by
		FROM consent_hygiene WHERE tenant_id = $1 AND number IS NOT NULL ORDER BY number`, tenant)
	if err != nil {
		return nil, fmt.Errorf("hygiene marks: %w", err)
	}
	marks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (hygiene.Mark, error) {
		var m hygiene.Mark
		var class int16
		var sup, clr *time.Time
		err := r.Scan(&m.Number, &class, &sup, &clr, &m.ClearedBy)
		m.Class = hygiene.Class(class)
		if sup != nil {
			m.SuppressedAt = *sup
		}
		if clr != nil {
			m.ClearedAt = *clr
		}
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("hygiene marks: %w", err)
	}
	return marks, nil
}

// eraseHygiene forgets key's number in the hygiene tables (Erase).
func eraseHygiene(ctx context.Context, tx pgx.Tx, key Key) error {
	if _, err := tx.Exec(ctx, `UPDATE consent_hygiene SET number = NULL, class = 0, updated_at = now() WHERE key = $1`, key[:]); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM consent_hygiene_log WHERE key = $1`, key[:])
	return err
}
