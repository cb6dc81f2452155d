package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
)

// Ref is what the pipeline must know about a message to submit it and to
// record its outcome when receipts arrive.
type Ref struct {
	MessageID  string
	TenantID   string
	CampaignID string
	To         string
	Region     string
	Category   core.Category
	Encoding   gsm.Encoding
	Carrier    string
	// Parts is how many parts the carrier accepted, one receipt each.
	Parts int
	// Origin is the front door that took the message.
	Origin string
}

// Outcome is a message's state after a receipt was applied.
type Outcome struct {
	// Known is false when the receipt's carrier id matched no message.
	Known  bool
	Ref    Ref
	Status core.Status
	// Final is true when the receipt is a final one and the message is
	// final after it: the last part's receipt arrived now, or the message
	// was already complete and this is the receipt that completed it read
	// again (a batch replayed after a crash), so its final event is
	// (re)written. Intermediate receipts and those of incomplete messages
	// leave it false.
	Final bool
	// Parked is true when the receipt was kept instead of applied: its
	// part was settled by another receipt, or the message was submitted
	// after the receipt arrived. Either way the receipt most likely
	// belongs to another use of a carrier id the carrier reused; it is
	// joined again once the id maps to another message.
	Parked bool
	// ErrorCode is the carrier's error for the first part that did not deliver.
	ErrorCode string
}

// receiptClockSkew is how far a receipt's arrival may seem to precede
// its message's intent (clocks of instances and of PostgreSQL differ)
// and still be the message's own. A receipt that arrived earlier than
// that belongs to an earlier use of its carrier id.
const receiptClockSkew = 5 * time.Second

// Values of deliveries.receipt_received besides a receipt's arrival in
// microseconds.
const (
	receiptNone  int64 = 0  // no receipt settled a part yet
	receiptSwept int64 = -1 // no receipt came (ReceiptSweeper)
)

// joinReceiptsSQL finds and locks the messages of receipts, one row per
// known part.
const joinReceiptsSQL = `
SELECT c.carrier, c.carrier_message_id, c.part, d.message_id, d.tenant_id, d.campaign_id, d.recipient,
	d.region, d.category, d.encoding, d.part_status, d.error_code, d.done, d.origin, d.intent_at,
	coalesce(d.receipt_received, 0)
FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS x(carrier, id)) x
JOIN carrier_message_ids c ON c.carrier = x.carrier AND c.carrier_message_id = x.id
JOIN deliveries d ON d.message_id = c.message_id
ORDER BY d.message_id
FOR UPDATE OF d`

// rollUpSQL records the parts' states of the messages a join changed.
const rollUpSQL = `
UPDATE deliveries d SET part_status = x.ps::int2[], error_code = x.err, done = x.done, receipt_received = x.rr
FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::int8[]) AS x(m, ps, err, done, rr)
WHERE d.message_id = x.m`

// joinedMsg is a message a join found and locked.
type joinedMsg struct {
	ref       Ref
	parts     []int16
	received  int64 // see deliveries.receipt_received
	errorCode string
	done      bool
	intentAt  time.Time
	dirty     bool
}

// joinedPart is one part of a joined message.
type joinedPart struct {
	m    *joinedMsg
	part int
}

// applyReceipts joins receipts to their messages through the durable
// carrier-id map and rolls the parts of each message up, in one
// transaction. Rows are locked in message order, so instances joining
// receipts of the same messages at once serialize instead of deadlocking.
// A final receipt of a complete message gets Final.
func (s *Store) applyReceipts(ctx context.Context, rs []carriers.Receipt) ([]Outcome, error) {
	return s.joinReceipts(ctx, rs, false)
}

// joinReceipts is applyReceipts that, with keep, also keeps the receipts
// no message claimed and the parked ones in the same transaction.
func (s *Store) joinReceipts(ctx context.Context, rs []carriers.Receipt, keep bool) ([]Outcome, error) {
	var out []Outcome
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		parts, msgs, err := lockReceiptParts(ctx, tx, rs)
		if err != nil {
			return err
		}
		out = make([]Outcome, len(rs))
		for i, r := range rs {
			p, ok := parts[joinKey(r.Carrier, r.ID)]
			if !ok {
				continue
			}
			m := p.m
			m.ref.Parts = len(m.parts)
			o := Outcome{Known: true, Ref: m.ref}
			o.Final, o.Parked = m.take(p.part, r)
			o.Status, o.ErrorCode = rollUp(m.parts), m.errorCode
			out[i] = o
		}
		if err := rollUpParts(ctx, tx, msgs); err != nil {
			return err
		}
		if keep {
			return keepReceipts(ctx, tx, rs, out)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("join receipts: %w", err)
	}
	return out, nil
}

// lockReceiptParts runs joinReceiptsSQL for rs: the parts found, by
// joinKey, and their messages, by id.
func lockReceiptParts(ctx context.Context, tx pgx.Tx, rs []carriers.Receipt) (map[string]joinedPart, map[string]*joinedMsg, error) {
	cs := make([]string, len(rs))
	ids := make([]string, len(rs))
	for i, r := range rs {
		cs[i], ids[i] = r.Carrier, r.ID
	}
	rows, err := tx.Query(ctx, joinReceiptsSQL, cs, ids)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	msgs := map[string]*joinedMsg{}
	parts := map[string]joinedPart{}
	for rows.Next() {
		var carrier, cid string
		var p, cat, enc int16
		var m joinedMsg
		if err := rows.Scan(&carrier, &cid, &p, &m.ref.MessageID, &m.ref.TenantID, &m.ref.CampaignID, &m.ref.To,
			&m.ref.Region, &cat, &enc, &m.parts, &m.errorCode, &m.done, &m.ref.Origin, &m.intentAt, &m.received); err != nil {
			return nil, nil, err
		}
		m.ref.Category, m.ref.Encoding, m.ref.Carrier = core.Category(cat), gsm.Encoding(enc), carrier
		pm := msgs[m.ref.MessageID]
		if pm == nil {
			pm = &m
			msgs[m.ref.MessageID] = pm
		}
		parts[joinKey(carrier, cid)] = joinedPart{pm, int(p)}
	}
	return parts, msgs, rows.Err()
}

// take applies r to part of m. final: the message is final and r is the
// receipt that made it so (now or, read again, before). parked: r was not
// applied because it cannot be this submit's: it arrived before the
// message's intent, or the part is settled by another receipt (or the
// message ended without one).
//
// Only the receipt that settled a part last is known again when it is
// read again; that is the one that completes a message, whose final event
// must then be written again. An earlier part's receipt read again is
// parked, harmlessly: its id maps to this message, so it is never joined
// again, and it is given up after parkedFor.
func (m *joinedMsg) take(part int, r carriers.Receipt) (final, parked bool) {
	if !r.Received.IsZero() && m.intentAt.After(r.Received.Add(receiptClockSkew)) {
		return false, true
	}
	if !r.Status.Final() || part >= len(m.parts) {
		return false, false
	}
	at := receivedMicros(r)
	if m.parts[part] != 0 {
		if m.received == at {
			return m.done, false
		}
		return false, true
	}
	if m.done {
		return false, true
	}
	m.parts[part] = int16(r.Status)
	m.received = at
	m.dirty = true
	if r.Status != core.StatusDelivered && m.errorCode == "" {
		m.errorCode = r.Err
	}
	m.done = allFinal(m.parts)
	return m.done, false
}

// receivedMicros is r's arrival as receipt_received keeps it.
func receivedMicros(r carriers.Receipt) int64 {
	if r.Received.IsZero() {
		return receiptNone
	}
	return r.Received.UnixMicro()
}

// rollUpParts writes the parts of the messages a join changed.
func rollUpParts(ctx context.Context, tx pgx.Tx, msgs map[string]*joinedMsg) error {
	var um, ups, uerr []string
	var udone []bool
	var urr []int64
	for id, m := range msgs {
		if m.dirty {
			um, ups, uerr, udone = append(um, id), append(ups, pgIntArray(m.parts)), append(uerr, m.errorCode), append(udone, m.done)
			urr = append(urr, m.received)
		}
	}
	if len(um) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, rollUpSQL, um, ups, uerr, udone, urr)
	return err
}

func joinKey(carrier, id string) string { return carrier + "\x00" + id }

func allFinal(parts []int16) bool {
	for _, p := range parts {
		if !core.Status(p).Final() {
			return false
		}
	}
	return len(parts) > 0
}

func pgIntArray(v []int16) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(x)))
	}
	b.WriteByte('}')
	return b.String()
}

// rollUp combines part statuses into the message's: delivered only when
// every part was; otherwise the most telling failure among the parts.
func rollUp(parts []int16) core.Status {
	worst := core.StatusDelivered
	for _, p := range parts {
		s := core.Status(p)
		if !s.Final() {
			return core.StatusSubmitted
		}
		if failureWeight(s) > failureWeight(worst) {
			worst = s
		}
	}
	return worst
}

func failureWeight(s core.Status) int {
	switch s {
	case core.StatusDelivered:
		return 0
	case core.StatusUnknown:
		return 1
	case core.StatusExpired:
		return 2
	case core.StatusUndelivered:
		return 3
	case core.StatusRejected:
		return 4
	}
	return 5
}

// keepReceiptsSQL keeps receipts for a later join: unknown ones with no
// parked_for, parked ones with the message they found, to be looked at
// again a second later.
const keepReceiptsSQL = `
INSERT INTO unknown_receipts (carrier, carrier_message_id, status, state, error_code, done_at, received_at, parked_for, recheck_at)
SELECT c, id, st, state, err, done, rcv, pf, CASE WHEN pf IS NULL THEN NULL ELSE now() + interval '1 second' END
FROM unnest($1::text[], $2::text[], $3::int2[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[])
	AS x(c, id, st, state, err, done, rcv, pf)`

// keepReceipts keeps the receipts of a join that no message claimed, and
// the parked ones, in the join's transaction.
func keepReceipts(ctx context.Context, tx pgx.Tx, rs []carriers.Receipt, out []Outcome) error {
	var kept []carriers.Receipt
	var parkedFor []*string
	for i, o := range out {
		switch {
		case !o.Known:
			kept, parkedFor = append(kept, rs[i]), append(parkedFor, nil)
		case o.Parked:
			id := o.Ref.MessageID
			kept, parkedFor = append(kept, rs[i]), append(parkedFor, &id)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, keepReceiptsSQL, keepArgs(kept, parkedFor)...)
	return err
}

func keepArgs(rs []carriers.Receipt, parkedFor []*string) []any {
	n := len(rs)
	cs, ids, states, errs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	sts := make([]int16, n)
	dones, received := make([]*time.Time, n), make([]time.Time, n)
	now := time.Now()
	for i, r := range rs {
		cs[i], ids[i], sts[i], states[i], errs[i] = r.Carrier, r.ID, int16(r.Status), r.State, r.Err
		if !r.Done.IsZero() {
			d := r.Done
			dones[i] = &d
		}
		received[i] = r.Received
		if r.Received.IsZero() {
			received[i] = now
		}
	}
	return []any{cs, ids, sts, states, errs, dones, received, parkedFor}
}

// saveUnknownReceipts keeps receipts no message claimed, for a later join.
func (s *Store) saveUnknownReceipts(ctx context.Context, rs []carriers.Receipt) error {
	if _, err := s.pool.Exec(ctx, keepReceiptsSQL, keepArgs(rs, make([]*string, len(rs)))...); err != nil {
		return fmt.Errorf("save unknown receipts: %w", err)
	}
	return nil
}

// claimReceiptsSQL marks up to $1 kept receipts that matched no message
// as joined once their carrier id maps to one, skipping rows another
// instance holds.
const claimReceiptsSQL = `
UPDATE unknown_receipts u SET joined_at = now()
WHERE u.id IN (
	SELECT u2.id FROM unknown_receipts u2
	JOIN carrier_message_ids c ON c.carrier = u2.carrier AND c.carrier_message_id = u2.carrier_message_id
	WHERE u2.joined_at IS NULL AND u2.parked_for IS NULL
	ORDER BY u2.id
	LIMIT $1
	FOR UPDATE OF u2 SKIP LOCKED)
RETURNING id, carrier, carrier_message_id, status, state, error_code, done_at, received_at`

// parkedFor is how long a parked receipt waits for its id to map to
// another message: longer than a carrier's answer can take to reach the
// ledger. Then it is given up (marked joined); the ledger's pruning
// deletes it later.
const parkedFor = time.Hour

// claimParkedSQL looks again at up to $1 parked receipts that are due:
// one whose id now maps to another message (or to none) is marked joined
// and returned, unless it was received before $2 and is given up; the
// others are looked at again later, the longer they waited the later (at
// most every five minutes). Each parked receipt is looked at a few dozen
// times at most, however many wait.
const claimParkedSQL = `
WITH due AS (
	SELECT u.id, c.message_id IS DISTINCT FROM u.parked_for AS moved
	FROM unknown_receipts u
	LEFT JOIN carrier_message_ids c ON c.carrier = u.carrier AND c.carrier_message_id = u.carrier_message_id
	WHERE u.joined_at IS NULL AND u.parked_for IS NOT NULL AND u.recheck_at <= now()
	ORDER BY u.recheck_at
	LIMIT $1::int
	FOR UPDATE OF u SKIP LOCKED
), r AS (
	UPDATE unknown_receipts u SET
		joined_at  = CASE WHEN due.moved OR u.received_at < $2::timestamptz THEN now() END,
		recheck_at = now() + least(interval '5 minutes', greatest(interval '1 second', (now() - u.received_at) / 2))
	FROM due WHERE u.id = due.id
	RETURNING u.id, due.moved AND u.received_at >= $2::timestamptz AS rejoin,
		u.carrier, u.carrier_message_id, u.status, u.state, u.error_code, u.done_at, u.received_at
)
SELECT id, carrier, carrier_message_id, status, state, error_code, done_at, received_at FROM r WHERE rejoin`

// keptReceipt is a kept receipt and its row.
type keptReceipt struct {
	carriers.Receipt
	id int64
}

// claimKnownReceipts returns kept receipts that matched no message and
// whose carrier id now maps to one, and parked ones whose id now maps to
// another message, marking them joined. Instances sweeping at once take
// disjoint rows.
func (s *Store) claimKnownReceipts(ctx context.Context, limit int) ([]keptReceipt, error) {
	known, err := s.claimKept(ctx, claimReceiptsSQL, limit)
	if err != nil {
		return nil, err
	}
	parked, err := s.claimKept(ctx, claimParkedSQL, limit, time.Now().Add(-parkedFor))
	if err != nil {
		return nil, errors.Join(err, s.releaseKeptReceipts(ctx, known))
	}
	return append(known, parked...), nil
}

// claimKept runs a claim statement and reads the receipts it returns.
func (s *Store) claimKept(ctx context.Context, sql string, args ...any) ([]keptReceipt, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("claim kept receipts: %w", err)
	}
	defer rows.Close()
	var out []keptReceipt
	for rows.Next() {
		var k keptReceipt
		var st int16
		var done *time.Time
		if err := rows.Scan(&k.id, &k.Carrier, &k.ID, &st, &k.State, &k.Err, &done, &k.Received); err != nil {
			return nil, fmt.Errorf("claim kept receipts: %w", err)
		}
		k.Status = core.Status(st)
		if done != nil {
			k.Done = *done
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim kept receipts: %w", err)
	}
	return out, nil
}

// releaseKeptReceipts offers claimed receipts that were not joined to the
// next sweep again.
func (s *Store) releaseKeptReceipts(ctx context.Context, ks []keptReceipt) error {
	if len(ks) == 0 {
		return nil
	}
	ids := make([]int64, len(ks))
	for i, k := range ks {
		ids[i] = k.id
	}
	if _, err := s.pool.Exec(ctx, "UPDATE unknown_receipts SET joined_at = NULL WHERE id = ANY($1)", ids); err != nil {
		return fmt.Errorf("release kept receipts: %w", err)
	}
	return nil
}

// UnjoinedReceipts counts kept receipts that no message claimed yet.
func (s *Store) UnjoinedReceipts(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM unknown_receipts WHERE joined_at IS NULL").Scan(&n)
	return n, err
}
