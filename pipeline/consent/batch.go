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

// applyStates applies events es[apply...] to their numbers' state rows,
// locked in key order so that concurrent batches do not deadlock.
func applyStates(ctx context.Context, tx pgx.Tx, es []Event, keys []Key, apply []int) ([]change, error) {
	type row struct {
		key    Key
		tenant string
		number string
		st     consent.State
	}
	byKey := map[Key]*row{}
	for _, i := range apply {
		if byKey[keys[i]] == nil {
			byKey[keys[i]] = &row{key: keys[i], tenant: es[i].Tenant, number: es[i].Number}
		}
	}
	sorted := slices.SortedFunc(func(yield func(Key) bool) {
		for k := range byKey {
			if !yield(k) {
				return
			}
		}
	}, func(a, b Key) int { return bytes.Compare(a[:], b[:]) })
	ks, tenants, numbers := make([][]byte, len(sorted)), make([]string, len(sorted)), make([]string, len(sorted))
	for i, k := range sorted {
		ks[i], tenants[i], numbers[i] = k[:], byKey[k].tenant, byKey[k].number
	}
	if _, err := tx.Exec(ctx, `INSERT INTO consent_state (key, tenant_id, number) SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[])
		ON CONFLICT (key) DO NOTHING`, ks, tenants, numbers); err != nil {
		return nil, fmt.Errorf("consent batch state: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT key, bits FROM consent_state WHERE key = ANY($1) ORDER BY key FOR UPDATE`, ks)
	if err != nil {
		return nil, fmt.Errorf("consent batch state: %w", err)
	}
	for rows.Next() {
		var k []byte
		var bits int16
		if err := rows.Scan(&k, &bits); err != nil {
			rows.Close()
			return nil, fmt.Errorf("consent batch state: %w", err)
		}
		byKey[Key(k)].st = consent.FromBits(uint8(bits))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("consent batch state: %w", err)
	}
	for _, i := range apply {
		r := byKey[keys[i]]
		r.st = r.st.Apply(es[i].Kind, es[i].Scope)
	}
	bits := make([]int16, len(sorted))
	for i, k := range sorted {
		bits[i] = int16(byKey[k].st.Bits())
	}
	out := make([]change, 0, len(sorted))
	rows, err = tx.Query(ctx, `UPDATE consent_state s SET bits = x.bits, number = x.number, version = s.version + 1, updated_at = now()
		FROM unnest($1::bytea[], $2::int2[], $3::text[]) AS x(key, bits, number) WHERE s.key = x.key RETURNING s.key, s.version`, ks, bits, numbers)
	if err != nil {
		return nil, fmt.Errorf("consent batch state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k []byte
		ch := change{}
		if err := rows.Scan(&k, &ch.version); err != nil {
			return nil, fmt.Errorf("consent batch state: %w", err)
		}
		r := byKey[Key(k)]
		ch.key, ch.tenant, ch.state = r.key, r.tenant, r.st
		out = append(out, ch)
	}
	return out, rows.Err()
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
