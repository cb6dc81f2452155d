package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// reasonNoReceipt is the reason of a message that ended UNKNOWN because
// its carrier never sent a receipt.
const reasonNoReceipt = "no receipt"

// ReceiptSweeper ends the messages a carrier accepted but sent no receipt
// for: once their validity plus a grace period has passed since their
// intent, the parts still waiting end STATUS_UNKNOWN and the message its
// parts' status (UNKNOWN when none reported), reason "no receipt", so no
// message stays in flight for ever. A receipt that comes after that is
// parked, not applied. Every instance may run one; passes take turns
// through a PostgreSQL advisory lock.
type ReceiptSweeper struct {
	cfg     KafkaConfig
	store   *Store
	metrics *Metrics
	log     *slog.Logger
	// after is how long after its intent a message is given up: the
	// longest validity plus the grace period.
	after time.Duration
	every time.Duration
}

// NewReceiptSweeper returns a sweeper that ends messages whose intent is
// more than after old (the longest validity a message can have, plus a
// grace period for late receipts) and writes their events to c's events
// topic. It sweeps every after/10, at least every second and at most
// every minute.
func NewReceiptSweeper(c KafkaConfig, store *Store, after time.Duration, m *Metrics, log *slog.Logger) *ReceiptSweeper {
	if log == nil {
		log = slog.Default()
	}
	every := min(max(after/10, time.Second), time.Minute)
	return &ReceiptSweeper{cfg: c.WithDefaults(), store: store, metrics: m, log: log, after: after, every: every}
}

// sweepBatch is the most messages one sweep transaction ends.
const sweepBatch = 500

// sweepLockID keeps instances sharing the database from sweeping at once.
const sweepLockID = 0x74657270 // "terp"

// errSweepBusy: another instance holds the sweep lock.
var errSweepBusy = errors.New("another instance is sweeping")

// Run sweeps until ctx ends.
func (s *ReceiptSweeper) Run(ctx context.Context) error {
	events, err := newEventWriter(s.cfg)
	if err != nil {
		return err
	}
	defer events.close()
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		if err := s.pass(ctx, events); err != nil && ctx.Err() == nil {
			s.log.Warn("sweep messages without receipt", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// pass ends every message due, in batches.
func (s *ReceiptSweeper) pass(ctx context.Context, events *eventWriter) error {
	now := time.Now()
	for {
		n, more, err := s.store.sweepNoReceipt(ctx, now.Add(-s.after), sweepBatch, func(ctx context.Context, evs []*recordv1.Event) error {
			return events.write(ctx, evs...)
		})
		if errors.Is(err, errSweepBusy) {
			return nil
		}
		if err != nil {
			return err
		}
		if n > 0 {
			s.metrics.addNoReceipt(n)
			for range n {
				s.metrics.addFinal(core.StatusUnknown)
			}
			s.log.Info("messages ended without receipt", "count", n, "intent_before", now.Add(-s.after).Round(time.Second))
		}
		if !more {
			return nil
		}
	}
}

// sweepCandidatesSQL finds up to $3 accepted messages whose intent lies
// in [$1, $2) and that have not ended, oldest intent first.
const sweepCandidatesSQL = `
SELECT message_id, intent_at FROM deliveries
WHERE intent_at >= $1::timestamptz AND intent_at < $2::timestamptz AND state = 2 AND NOT done
ORDER BY intent_at LIMIT $3::int`

// sweepLockSQL locks the candidates that still have not ended, in message
// order as the receipt join does.
const sweepLockSQL = `
SELECT message_id, tenant_id, campaign_id, recipient, region, category, encoding, carrier, origin,
	part_status, error_code
FROM deliveries WHERE message_id = ANY($1::text[]) AND state = 2 AND NOT done
ORDER BY message_id FOR UPDATE`

// sweepNoReceipt ends up to limit messages whose intent is older than
// cutoff and that are still waiting for receipts, in one transaction:
// emit must have written their events before it commits. It returns how
// many it ended and whether more may be due, or errSweepBusy when another
// instance is sweeping.
func (s *Store) sweepNoReceipt(ctx context.Context, cutoff time.Time, limit int, emit func(context.Context, []*recordv1.Event) error) (n int, more bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", sweepLockID).Scan(&locked); err != nil {
			return err
		}
		if !locked {
			return errSweepBusy
		}
		from := time.Time{}
		if err := tx.QueryRow(ctx, "SELECT swept_to FROM receipt_sweep").Scan(&from); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		ids, last, err := sweepCandidates(ctx, tx, from, cutoff, limit)
		if err != nil {
			return err
		}
		msgs, evs, err := lockUnsettled(ctx, tx, ids)
		if err != nil {
			return err
		}
		if len(evs) > 0 {
			if err := emit(ctx, evs); err != nil {
				return err
			}
			if err := rollUpParts(ctx, tx, msgs); err != nil {
				return err
			}
		}
		to := cutoff
		if more = len(ids) == limit; more {
			to = last
		}
		n = len(evs)
		_, err = tx.Exec(ctx, `INSERT INTO receipt_sweep (swept_to) VALUES ($1)
			ON CONFLICT (id) DO UPDATE SET swept_to = excluded.swept_to`, to)
		return err
	})
	if err != nil && !errors.Is(err, errSweepBusy) {
		return 0, false, fmt.Errorf("sweep messages without receipt: %w", err)
	}
	return n, more, err
}

// sweepCandidates returns the ids sweepCandidatesSQL finds from from on
// (the start of time when zero) and the last one's intent.
func sweepCandidates(ctx context.Context, tx pgx.Tx, from, cutoff time.Time, limit int) ([]string, time.Time, error) {
	lower := pgtype.Timestamptz{Time: from, Valid: true}
	if from.IsZero() {
		lower = pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	}
	rows, err := tx.Query(ctx, sweepCandidatesSQL, lower, cutoff, limit)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer rows.Close()
	var ids []string
	var last time.Time
	for rows.Next() {
		var id string
		if err := rows.Scan(&id, &last); err != nil {
			return nil, time.Time{}, err
		}
		ids = append(ids, id)
	}
	return ids, last, rows.Err()
}

// lockUnsettled locks those of ids still waiting for receipts, settles
// their waiting parts as UNKNOWN and returns them with their final events.
func lockUnsettled(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*joinedMsg, []*recordv1.Event, error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	rows, err := tx.Query(ctx, sweepLockSQL, ids)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	msgs := map[string]*joinedMsg{}
	var evs []*recordv1.Event
	now := time.Now()
	for rows.Next() {
		m := &joinedMsg{}
		var cat, enc int16
		if err := rows.Scan(&m.ref.MessageID, &m.ref.TenantID, &m.ref.CampaignID, &m.ref.To, &m.ref.Region, &cat, &enc,
			&m.ref.Carrier, &m.ref.Origin, &m.parts, &m.errorCode); err != nil {
			return nil, nil, err
		}
		m.ref.Category, m.ref.Encoding, m.ref.Parts = core.Category(cat), gsm.Encoding(enc), len(m.parts)
		st := m.sweep()
		msgs[m.ref.MessageID] = m
		ev := refEvent(m.ref, st, now)
		ev.ErrorCode, ev.Reason = m.errorCode, reasonNoReceipt
		evs = append(evs, ev)
	}
	return msgs, evs, rows.Err()
}

// sweep settles m's parts that got no receipt as UNKNOWN, ends m, and
// returns its status: its parts' (UNKNOWN when it has none).
func (m *joinedMsg) sweep() core.Status {
	for i, p := range m.parts {
		if p == 0 {
			m.parts[i] = int16(core.StatusUnknown)
		}
	}
	m.received, m.done, m.dirty = receiptSwept, true, true
	if len(m.parts) == 0 {
		return core.StatusUnknown
	}
	return rollUp(m.parts)
}
