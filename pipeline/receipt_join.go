package pipeline

import (
	"context"
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
	// was already complete (a repeated receipt, or a batch replayed after a
	// crash), so its final event is (re)written. Intermediate receipts and
	// those of incomplete messages leave it false.
	Final bool
	// ErrorCode is the carrier's error for the first part that did not deliver.
	ErrorCode string
}

// joinReceiptsSQL finds and locks the messages of receipts, one row per
// known part.
const joinReceiptsSQL = `
SELECT c.carrier, c.carrier_message_id, c.part, d.message_id, d.tenant_id, d.campaign_id, d.recipient,
	d.region, d.category, d.encoding, d.part_status, d.error_code, d.done, d.origin
FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS x(carrier, id)) x
JOIN carrier_message_ids c ON c.carrier = x.carrier AND c.carrier_message_id = x.id
JOIN deliveries d ON d.message_id = c.message_id
ORDER BY d.message_id
FOR UPDATE OF d`

// rollUpSQL records the parts' states of the messages a join changed.
const rollUpSQL = `
UPDATE deliveries d SET part_status = x.ps::int2[], error_code = x.err, done = x.done
FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[]) AS x(m, ps, err, done)
WHERE d.message_id = x.m`

// applyReceipts joins receipts to their messages through the durable
// carrier-id map and rolls the parts of each message up, in one
// transaction. Rows are locked in message order, so instances joining
// receipts of the same messages at once serialize instead of deadlocking.
// A final receipt of a complete message gets Final.
func (s *Store) applyReceipts(ctx context.Context, rs []carriers.Receipt) ([]Outcome, error) {
	out := make([]Outcome, len(rs))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cs := make([]string, len(rs))
		ids := make([]string, len(rs))
		for i, r := range rs {
			cs[i], ids[i] = r.Carrier, r.ID
		}
		rows, err := tx.Query(ctx, joinReceiptsSQL, cs, ids)
		if err != nil {
			return err
		}
		type msg struct {
			ref       Ref
			parts     []int16
			errorCode string
			done      bool
			dirty     bool
		}
		type part struct {
			m    *msg
			part int
		}
		msgs := map[string]*msg{}
		parts := map[string]part{}
		for rows.Next() {
			var carrier, cid string
			var p int16
			var m msg
			var cat, enc int16
			if err := rows.Scan(&carrier, &cid, &p, &m.ref.MessageID, &m.ref.TenantID, &m.ref.CampaignID, &m.ref.To,
				&m.ref.Region, &cat, &enc, &m.parts, &m.errorCode, &m.done, &m.ref.Origin); err != nil {
				rows.Close()
				return err
			}
			m.ref.Category, m.ref.Encoding, m.ref.Carrier = core.Category(cat), gsm.Encoding(enc), carrier
			pm := msgs[m.ref.MessageID]
			if pm == nil {
				pm = &m
				msgs[m.ref.MessageID] = pm
			}
			parts[joinKey(carrier, cid)] = part{pm, int(p)}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, r := range rs {
			p, ok := parts[joinKey(r.Carrier, r.ID)]
			if !ok {
				continue
			}
			m := p.m
			m.ref.Parts = len(m.parts)
			o := Outcome{Known: true, Ref: m.ref}
			if p.part < len(m.parts) && !m.done && r.Status.Final() && m.parts[p.part] == 0 {
				m.parts[p.part] = int16(r.Status)
				m.dirty = true
				if r.Status != core.StatusDelivered && m.errorCode == "" {
					m.errorCode = r.Err
				}
				m.done = allFinal(m.parts)
			}
			o.Final = m.done && r.Status.Final()
			o.Status, o.ErrorCode = rollUp(m.parts), m.errorCode
			out[i] = o
		}
		var um, ups, uerr []string
		var udone []bool
		for id, m := range msgs {
			if m.dirty {
				um, ups, uerr, udone = append(um, id), append(ups, pgIntArray(m.parts)), append(uerr, m.errorCode), append(udone, m.done)
			}
		}
		if len(um) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, rollUpSQL, um, ups, uerr, udone)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("join receipts: %w", err)
	}
	return out, nil
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

// saveUnknownReceipts keeps receipts no message claimed, for a later join.
func (s *Store) saveUnknownReceipts(ctx context.Context, rs []carriers.Receipt) error {
	cs, ids, sts, states, errs := make([]string, len(rs)), make([]string, len(rs)), make([]int16, len(rs)), make([]string, len(rs)), make([]string, len(rs))
	dones := make([]*time.Time, len(rs))
	for i, r := range rs {
		cs[i], ids[i], sts[i], states[i], errs[i] = r.Carrier, r.ID, int16(r.Status), r.State, r.Err
		if !r.Done.IsZero() {
			d := r.Done
			dones[i] = &d
		}
	}
	_, err := s.pool.Exec(ctx, `
INSERT INTO unknown_receipts (carrier, carrier_message_id, status, state, error_code, done_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::int2[], $4::text[], $5::text[], $6::timestamptz[])`,
		cs, ids, sts, states, errs, dones)
	if err != nil {
		return fmt.Errorf("save unknown receipts: %w", err)
	}
	return nil
}

// claimReceiptsSQL marks up to $1 kept receipts whose carrier id is now
// known as joined, skipping rows another instance holds.
const claimReceiptsSQL = `
UPDATE unknown_receipts u SET joined_at = now()
WHERE u.id IN (
	SELECT u2.id FROM unknown_receipts u2
	JOIN carrier_message_ids c ON c.carrier = u2.carrier AND c.carrier_message_id = u2.carrier_message_id
	WHERE u2.joined_at IS NULL
	ORDER BY u2.id
	LIMIT $1
	FOR UPDATE OF u2 SKIP LOCKED)
RETURNING carrier, carrier_message_id, status, state, error_code, done_at`

// claimKnownReceipts returns kept receipts whose carrier id is now known,
// marking them joined. Instances sweeping at once take disjoint rows.
func (s *Store) claimKnownReceipts(ctx context.Context, limit int) ([]carriers.Receipt, error) {
	rows, err := s.pool.Query(ctx, claimReceiptsSQL, limit)
	if err != nil {
		return nil, fmt.Errorf("claim kept receipts: %w", err)
	}
	defer rows.Close()
	var out []carriers.Receipt
	for rows.Next() {
		var r carriers.Receipt
		var st int16
		var done *time.Time
		if err := rows.Scan(&r.Carrier, &r.ID, &st, &r.State, &r.Err, &done); err != nil {
			return nil, err
		}
		r.Status = core.Status(st)
		if done != nil {
			r.Done = *done
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UnjoinedReceipts counts kept receipts that no message claimed yet.
func (s *Store) UnjoinedReceipts(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM unknown_receipts WHERE joined_at IS NULL").Scan(&n)
	return n, err
}
