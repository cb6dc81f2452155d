package gateway

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core"
)

// Kinds of outbox rows.
const (
	kindReceipt int16 = 1
	kindMO      int16 = 2
)

func kindName(k int16) string {
	if k == kindMO {
		return "mo"
	}
	return "receipt"
}

// notifyChannel is the LISTEN/NOTIFY channel that wakes the instances
// where an account is bound; the payload is its system_id.
const notifyChannel = "tern_smpp_gateway"

// submitRecord is the intake's half of a gateway message: what the
// customer sent and whether it wants a receipt.
type submitRecord struct {
	messageID, systemID, receiptID string
	registered                     uint8
	source, dest                   smpp.Address
	text                           string
	submitted                      time.Time
}

// finalRecord is the events' half: how the message ended.
type finalRecord struct {
	messageID string
	status    core.Status
	errorCode string
	done      time.Time
}

// moRecord is a customer's reply to one of the accounts' numbers.
type moRecord struct {
	from, to smpp.Address
	text     string
	received time.Time
}

// outboxRow is one receipt or reply waiting for its customer.
type outboxRow struct {
	id           int64
	kind         int16
	receiptID    string
	status       core.Status
	errorCode    string
	source, dest smpp.Address
	text         string
	submitted    time.Time
	done         time.Time
	attempts     int
}

// moveReady moves the join rows of ids that have both halves into the
// outbox (when the customer asked for that receipt) and returns the
// accounts that got one, once per row.
const moveReady = `WITH ready AS (
	DELETE FROM smpp_messages WHERE message_id = ANY($1) AND system_id IS NOT NULL AND status IS NOT NULL
	RETURNING *
), queued AS (
	INSERT INTO smpp_outbox (system_id, kind, receipt_id, status, error_code, source_ton, source_npi, source,
		dest_ton, dest_npi, dest, text, submitted_at, done_at)
	SELECT system_id, 1, receipt_id, status, error_code, dest_ton, dest_npi, dest,
		source_ton, source_npi, source, text, submitted_at, done_at
	FROM ready WHERE registered & 3 <> 2 OR status <> $2
	ORDER BY submitted_at, message_id
	RETURNING system_id
) SELECT system_id FROM queued`

// recordSubmits writes the intake's halves and returns the accounts that
// got a receipt because the final status was there first.
func (s *Store) recordSubmits(ctx context.Context, recs []submitRecord) ([]string, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	slices.SortFunc(recs, func(a, b submitRecord) int { return cmp.Compare(a.messageID, b.messageID) })
	n := len(recs)
	ids, sys, rids, texts := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	regs, stons, snpis, dtons, dnpis := make([]int16, n), make([]int16, n), make([]int16, n), make([]int16, n), make([]int16, n)
	srcs, dsts := make([]string, n), make([]string, n)
	ats := make([]time.Time, n)
	for i, r := range recs {
		ids[i], sys[i], rids[i], texts[i] = r.messageID, r.systemID, r.receiptID, r.text
		regs[i] = int16(r.registered)
		stons[i], snpis[i], srcs[i] = int16(r.source.TON), int16(r.source.NPI), r.source.Addr
		dtons[i], dnpis[i], dsts[i] = int16(r.dest.TON), int16(r.dest.NPI), r.dest.Addr
		ats[i] = r.submitted
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO smpp_messages (message_id, system_id, receipt_id, registered, source_ton, source_npi, source,
		dest_ton, dest_npi, dest, text, submitted_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::smallint[], $6::smallint[], $7::text[],
			$8::smallint[], $9::smallint[], $10::text[], $11::text[], $12::timestamptz[])
		ON CONFLICT (message_id) DO UPDATE SET system_id = EXCLUDED.system_id, receipt_id = EXCLUDED.receipt_id,
			registered = EXCLUDED.registered, source_ton = EXCLUDED.source_ton, source_npi = EXCLUDED.source_npi,
			source = EXCLUDED.source, dest_ton = EXCLUDED.dest_ton, dest_npi = EXCLUDED.dest_npi, dest = EXCLUDED.dest,
			text = EXCLUDED.text, submitted_at = EXCLUDED.submitted_at, updated_at = now()`,
		ids, sys, rids, regs, stons, snpis, srcs, dtons, dnpis, dsts, texts, ats)
	return s.sendMove(ctx, b, ids)
}

// recordFinals writes the events' halves (the first final status of a
// message wins) and returns the accounts that got a receipt.
func (s *Store) recordFinals(ctx context.Context, recs []finalRecord) ([]string, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(recs, func(a, b finalRecord) int { return cmp.Compare(a.messageID, b.messageID) })
	recs = slices.CompactFunc(recs, func(a, b finalRecord) bool { return a.messageID == b.messageID })
	n := len(recs)
	ids, codes := make([]string, n), make([]string, n)
	sts := make([]int16, n)
	ats := make([]time.Time, n)
	for i, r := range recs {
		ids[i], codes[i], sts[i], ats[i] = r.messageID, r.errorCode, int16(r.status), r.done
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO smpp_messages (message_id, status, error_code, done_at)
		SELECT * FROM unnest($1::text[], $2::smallint[], $3::text[], $4::timestamptz[])
		ON CONFLICT (message_id) DO UPDATE SET status = EXCLUDED.status, error_code = EXCLUDED.error_code,
			done_at = EXCLUDED.done_at, updated_at = now()
		WHERE smpp_messages.status IS NULL`, ids, sts, codes, ats)
	return s.sendMove(ctx, b, ids)
}

// sendMove runs b and then moveReady over ids, in one transaction.
func (s *Store) sendMove(ctx context.Context, b *pgx.Batch, ids []string) ([]string, error) {
	var accounts []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b.Queue(moveReady, ids, int16(core.StatusDelivered))
		br := tx.SendBatch(ctx, b)
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
		rows, err := br.Query()
		if err != nil {
			br.Close()
			return err
		}
		accounts, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			br.Close()
			return err
		}
		if err := br.Close(); err != nil {
			return err
		}
		return notify(ctx, tx, accounts)
	})
	if err != nil {
		return nil, fmt.Errorf("smpp receipt join: %w", err)
	}
	return accounts, nil
}

// queueMO puts replies to accounts' numbers in the outbox and returns the
// accounts that got one, once per reply. Replies to other numbers are not
// the gateway's.
func (s *Store) queueMO(ctx context.Context, recs []moRecord) ([]string, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	n := len(recs)
	keys, srcs, dsts, texts := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	stons, snpis, dtons, dnpis := make([]int16, n), make([]int16, n), make([]int16, n), make([]int16, n)
	ats := make([]time.Time, n)
	for i, r := range recs {
		keys[i] = NormalizeNumber(r.to.Addr)
		srcs[i], stons[i], snpis[i] = r.from.Addr, int16(r.from.TON), int16(r.from.NPI)
		dsts[i], dtons[i], dnpis[i] = r.to.Addr, int16(r.to.TON), int16(r.to.NPI)
		texts[i], ats[i] = r.text, r.received
	}
	var accounts []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO smpp_outbox (system_id, kind, source_ton, source_npi, source,
			dest_ton, dest_npi, dest, text, done_at)
			SELECT n.system_id, 2, m.ston, m.snpi, m.src, m.dton, m.dnpi, m.dst, m.txt, m.at
			FROM unnest($1::text[], $2::smallint[], $3::smallint[], $4::text[], $5::smallint[], $6::smallint[], $7::text[],
				$8::text[], $9::timestamptz[]) WITH ORDINALITY AS m(key, ston, snpi, src, dton, dnpi, dst, txt, at, ord)
			JOIN smpp_numbers n ON n.number = m.key
			ORDER BY m.ord
			RETURNING system_id`, keys, stons, snpis, srcs, dtons, dnpis, dsts, texts, ats)
		if err != nil {
			return err
		}
		if accounts, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return err
		}
		return notify(ctx, tx, accounts)
	})
	if err != nil {
		return nil, fmt.Errorf("smpp queue replies: %w", err)
	}
	return accounts, nil
}

// notify wakes, at commit, the instances where these accounts are bound.
func notify(ctx context.Context, tx pgx.Tx, accounts []string) error {
	if len(accounts) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, "SELECT pg_notify($1, a) FROM (SELECT DISTINCT unnest($2::text[]) a) x", notifyChannel, accounts)
	return err
}

// claim reserves up to n of an account's waiting rows for lease, oldest
// first, skipping rows other binds hold.
func (s *Store) claim(ctx context.Context, systemID string, n int, lease time.Duration) ([]outboxRow, error) {
	rows, err := s.pool.Query(ctx, `UPDATE smpp_outbox o SET claimed_until = now() + $3::interval, attempts = o.attempts + 1
		FROM (SELECT id FROM smpp_outbox WHERE system_id = $1 AND claimed_until < now()
			ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) c
		WHERE o.id = c.id
		RETURNING o.id, o.kind, o.receipt_id, o.status, o.error_code, o.source_ton, o.source_npi, o.source,
			o.dest_ton, o.dest_npi, o.dest, o.text, o.submitted_at, o.done_at, o.attempts`, systemID, n, lease)
	if err != nil {
		return nil, fmt.Errorf("claim for %s: %w", systemID, err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		var st, ston, snpi, dton, dnpi int16
		var sub, done *time.Time
		if err := rows.Scan(&r.id, &r.kind, &r.receiptID, &st, &r.errorCode, &ston, &snpi, &r.source.Addr,
			&dton, &dnpi, &r.dest.Addr, &r.text, &sub, &done, &r.attempts); err != nil {
			return nil, fmt.Errorf("claim for %s: %w", systemID, err)
		}
		r.status = core.Status(st)
		r.source.TON, r.source.NPI, r.dest.TON, r.dest.NPI = uint8(ston), uint8(snpi), uint8(dton), uint8(dnpi)
		if sub != nil {
			r.submitted = *sub
		}
		if done != nil {
			r.done = *done
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim for %s: %w", systemID, err)
	}
	slices.SortFunc(out, func(a, b outboxRow) int { return cmp.Compare(a.id, b.id) })
	return out, nil
}

// ack deletes rows their customer acknowledged (or that are given up).
func (s *Store) ack(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM smpp_outbox WHERE id = ANY($1)", ids); err != nil {
		return fmt.Errorf("delete delivered: %w", err)
	}
	return nil
}

// release offers rows again after delay.
func (s *Store) release(ctx context.Context, ids []int64, delay time.Duration) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, "UPDATE smpp_outbox SET claimed_until = now() + $2::interval WHERE id = ANY($1)", ids, delay); err != nil {
		return fmt.Errorf("release undelivered: %w", err)
	}
	return nil
}

// queued counts an account's waiting rows.
func (s *Store) queued(ctx context.Context, systemID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM smpp_outbox WHERE system_id = $1", systemID).Scan(&n)
	return n, err
}
