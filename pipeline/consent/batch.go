package consent

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/consent"
)

// MaxBatch is the most events one RecordBatch takes.
const MaxBatch = 10_000

// Batch is what RecordBatch recorded, to publish once its transaction
// committed.
type Batch struct {
	l       *Ledger
	changes []change
	// Recorded counts the events written; repeats of a Dedupe already
	// recorded are not.
	Recorded int
}

// RecordBatch records events within tx, a transaction on the ledger's
// database that also holds the caller's own writes (a contact import's
// rows), so that both commit or neither does. Every event needs a Dedupe
// key: one already recorded is skipped. Events of one number apply in
// their order. Call Publish on the result after tx committed; until it
// runs (or if the process dies first), Run publishes the states.
func (l *Ledger) RecordBatch(ctx context.Context, tx pgx.Tx, events []Event) (*Batch, error) {
	b := &Batch{l: l}
	if len(events) == 0 {
		return b, nil
	}
	if len(events) > MaxBatch {
		return nil, invalid("events", fmt.Sprintf("more than %d in one batch", MaxBatch))
	}
	now := l.now()
	checked := make([]Event, len(events))
	keys := make([]Key, len(events))
	for i, e := range events {
		c, err := e.check(now)
		if err != nil {
			return nil, err
		}
		if c.Dedupe == "" {
			return nil, invalid("idempotency_key", "required for every event of a batch")
		}
		if c.Method == MethodDoubleOptIn && c.Kind == consent.OptIn {
			return nil, invalid("method", "a double opt-in is recorded when the number confirms it (RequestDoubleOptIn)")
		}
		checked[i], keys[i] = c, l.hash.Key(c.Tenant, c.Number)
	}
	fresh, err := insertEvents(ctx, tx, checked, keys)
	if err != nil {
		return nil, err
	}
	var apply []int
	for i, e := range checked {
		if fresh[e.Dedupe] {
			apply = append(apply, i)
		}
	}
	b.Recorded = len(apply)
	if len(apply) == 0 {
		return b, nil
	}
	b.changes, err = applyStates(ctx, tx, checked, keys, apply)
	return b, err
}

// insertEvents appends the events not recorded before and returns the
// Dedupe keys it wrote.
func insertEvents(ctx context.Context, tx pgx.Tx, es []Event, keys []Key) (map[string]bool, error) {
	n := len(es)
	tenant, number, key, kind, scope, method := make([]string, n), make([]string, n), make([][]byte, n), make([]int16, n), make([]int16, n), make([]int16, n)
	source, disclosure, dedupe, at := make([]string, n), make([]string, n), make([]string, n), make([]any, n)
	for i, e := range es {
		tenant[i], number[i], key[i] = e.Tenant, e.Number, keys[i][:]
		kind[i], scope[i], method[i] = int16(e.Kind), int16(e.Scope), int16(e.Method)
		source[i], disclosure[i], dedupe[i], at[i] = e.Source, e.Disclosure, e.Dedupe, e.At
	}
	rows, err := tx.Query(ctx, `INSERT INTO consent_events (tenant_id, number, key, kind, scope, method, source, disclosure, dedupe, occurred_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::int2[], $5::int2[], $6::int2[], $7::text[], $8::text[], $9::text[], $10::timestamptz[])
		ON CONFLICT (tenant_id, dedupe) WHERE dedupe IS NOT NULL DO NOTHING RETURNING dedupe`,
		tenant, number, key, kind, scope, method, source, disclosure, dedupe, at)
	if err != nil {
		return nil, fmt.Errorf("consent batch: %w", err)
	}
	fresh := map[string]bool{}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return nil, fmt.Errorf("consent batch: %w", err)
		}
		fresh[d] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("consent batch: %w", err)
	}
	return fresh, nil
}

// applyStates applies events es[apply...] to their numbers' state rows:
// rows that exist are locked in key order (so that concurrent batches do
// not deadlock) and updated; missing ones are inserted with their new
// state, and one another transaction inserted meanwhile is locked and
// updated in a second round.
func applyStates(ctx context.Context, tx pgx.Tx, es []Event, keys []Key, apply []int) ([]change, error) {
	pending := map[Key]*stateRow{}
	for _, i := range apply {
		if pending[keys[i]] == nil {
			pending[keys[i]] = &stateRow{key: keys[i], tenant: es[i].Tenant, number: es[i].Number}
		}
	}
	var out []change
	for round := 0; len(pending) > 0; round++ {
		if round == 2 {
			return nil, fmt.Errorf("consent batch state: rows keep appearing")
		}
		rows := sortedRows(pending)
		if err := lockStates(ctx, tx, rows); err != nil {
			return nil, err
		}
		for _, i := range apply {
			if r := pending[keys[i]]; r != nil {
				r.st = r.st.Apply(es[i].Kind, es[i].Scope)
			}
		}
		done, err := writeStates(ctx, tx, rows)
		if err != nil {
			return nil, err
		}
		for _, ch := range done {
			delete(pending, ch.key)
		}
		for _, r := range pending {
			r.st, r.exists = consent.State{}, false // inserted by another: read again
		}
		out = append(out, done...)
	}
	return out, nil
}

// stateRow is one number's state while a batch applies to it.
type stateRow struct {
	key            Key
	tenant, number string
	st             consent.State
	exists         bool
}

func sortedRows(m map[Key]*stateRow) []*stateRow {
	rows := make([]*stateRow, 0, len(m))
	for _, r := range m {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b *stateRow) int { return bytes.Compare(a.key[:], b.key[:]) })
	return rows
}

// lockStates reads and locks the rows that exist.
func lockStates(ctx context.Context, tx pgx.Tx, rows []*stateRow) error {
	ks := make([][]byte, len(rows))
	byKey := make(map[Key]*stateRow, len(rows))
	for i, r := range rows {
		ks[i], byKey[r.key] = r.key[:], r
	}
	q, err := tx.Query(ctx, `SELECT key, bits FROM consent_state WHERE key = ANY($1) ORDER BY key FOR UPDATE`, ks)
	if err != nil {
		return fmt.Errorf("consent batch state: %w", err)
	}
	defer q.Close()
	for q.Next() {
		var k []byte
		var bits int16
		if err := q.Scan(&k, &bits); err != nil {
			return fmt.Errorf("consent batch state: %w", err)
		}
		r := byKey[Key(k)]
		r.st, r.exists = consent.FromBits(uint8(bits)), true
	}
	return q.Err()
}

// writeStates updates the rows that exist and inserts the others; it
// returns the changes it wrote. A row another transaction inserted first
// is left out, for the next round.
func writeStates(ctx context.Context, tx pgx.Tx, rows []*stateRow) ([]change, error) {
	var upd, ins []*stateRow
	for _, r := range rows {
		if r.exists {
			upd = append(upd, r)
		} else {
			ins = append(ins, r)
		}
	}
	var out []change
	for _, part := range []struct {
		rows []*stateRow
		sql  string
	}{{upd, `UPDATE consent_state s SET bits = x.bits, number = x.number, version = s.version + 1, updated_at = now()
		FROM unnest($1::bytea[], $2::int2[], $3::text[], $4::text[]) AS x(key, bits, number, tenant) WHERE s.key = x.key RETURNING s.key, s.version`},
		{ins, `INSERT INTO consent_state (key, bits, number, tenant_id, version) SELECT *, 1 FROM unnest($1::bytea[], $2::int2[], $3::text[], $4::text[])
		ON CONFLICT (key) DO NOTHING RETURNING key, version`}} {
		if len(part.rows) == 0 {
			continue
		}
		chs, err := stateStatement(ctx, tx, part.sql, part.rows)
		if err != nil {
			return nil, err
		}
		out = append(out, chs...)
	}
	return out, nil
}

func stateStatement(ctx context.Context, tx pgx.Tx, sql string, rows []*stateRow) ([]change, error) {
	ks, bits, numbers, tenants := make([][]byte, len(rows)), make([]int16, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	byKey := make(map[Key]*stateRow, len(rows))
	for i, r := range rows {
		ks[i], bits[i], numbers[i], tenants[i] = r.key[:], int16(r.st.Bits()), r.number, r.tenant
		byKey[r.key] = r
	}
	q, err := tx.Query(ctx, sql, ks, bits, numbers, tenants)
	if err != nil {
		return nil, fmt.Errorf("consent batch state: %w", err)
	}
	defer q.Close()
	var out []change
	for q.Next() {
		var k []byte
		ch := change{}
		if err := q.Scan(&k, &ch.version); err != nil {
			return nil, fmt.Errorf("consent batch state: %w", err)
		}
		r := byKey[Key(k)]
		ch.key, ch.tenant, ch.state = r.key, r.tenant, r.st
		out = append(out, ch)
	}
	return out, q.Err()
}

// Publish puts the batch's states on the suppressions topic and this
// instance's set, and marks them published. Call it after the batch's
// transaction committed; a failure is logged and left to Run.
func (b *Batch) Publish(ctx context.Context) {
	if b == nil || len(b.changes) == 0 {
		return
	}
	l := b.l
	if s := l.local.Load(); s != nil {
		for _, ch := range b.changes {
			s.apply(ch.key, ch.state.Bits(), ch.version)
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := l.pub.send(ctx, b.changes); err != nil {
		l.log.Warn("suppressions not published yet; retried", "count", len(b.changes), "err", err)
		return
	}
	keys, versions := make([][]byte, len(b.changes)), make([]int64, len(b.changes))
	for i, ch := range b.changes {
		keys[i], versions[i] = ch.key[:], ch.version
	}
	if _, err := l.pool.Exec(ctx, `UPDATE consent_state s SET published = greatest(s.published, x.v)
		FROM unnest($1::bytea[], $2::int8[]) AS x(k, v) WHERE s.key = x.k`, keys, versions); err != nil {
		l.log.Warn("suppressions published, not marked; published again", "err", err)
	}
}
