package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/msgid"
)

// The ledger keeps one row per message handed towards a carrier, its
// carrier ids for the receipt join, and receipts that matched no message.
// A row is needed while its message can still come back: as a replayed or
// retried submit record (until the message's validity period ends, when
// the consumer expires it without reading the ledger), or as a receipt
// (carriers send one within the validity period they were given). Rows
// whose intent is older than the retention are deleted.

// MinLedgerRetentionOverValidity is how much longer than the validity
// period ledger rows must be kept at least: a message's intent is recorded
// at most the validity period before it can no longer be sent, and a
// carrier's receipt may follow its validity's end by some hours.
const MinLedgerRetentionOverValidity = 24 * time.Hour

// pruneBatch is the most delivery rows one prune statement deletes.
const pruneBatch = 5000

// pruneLockID keeps instances sharing the database from pruning at once.
const pruneLockID = 0x7465726f // "tero"

// pruneDeliveriesSQL deletes up to $3 delivery rows of messages created
// before $1 (the msgid.Floor of the cutoff, so the primary key finds
// them) whose intent is older than $2, and their carrier ids. A message
// scheduled ahead has an old id but a recent intent; it stays. A carrier
// id the carrier has reused for a newer message stays too. Ids are digits
// and capital letters, which sort alike in the C collation and in the
// usual locales' ones.
const pruneDeliveriesSQL = `
WITH d AS (
	DELETE FROM deliveries WHERE message_id IN (
		SELECT message_id FROM deliveries
		WHERE message_id < $1::text AND intent_at < $2::timestamptz
		ORDER BY message_id LIMIT $3::int)
	RETURNING message_id, carrier, carrier_ids
), c AS (
	DELETE FROM carrier_message_ids c USING d, unnest(d.carrier_ids) AS x(id)
	WHERE c.carrier = d.carrier AND c.carrier_message_id = x.id AND c.message_id = d.message_id
	RETURNING 1
)
SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM c)`

// pruneReceiptsSQL deletes up to $2 receipts that arrived before $1,
// joined or not: a receipt that matched nothing for so long never will.
const pruneReceiptsSQL = `
DELETE FROM unknown_receipts WHERE id IN (
	SELECT id FROM unknown_receipts WHERE received_at < $1::timestamptz ORDER BY id LIMIT $2::int)`

// Pruned counts the rows one pruning pass deleted.
type Pruned struct {
	Deliveries, CarrierIDs, Receipts int64
}

// errPruneBusy: another instance holds the pruning lock.
var errPruneBusy = errors.New("another instance is pruning the ledger")

// PruneLedger deletes the ledger rows of messages whose intent was
// recorded before cutoff, and receipts kept since before it, in batches
// of its own transactions until none are left or ctx ends. If another
// instance is pruning, it returns at once with nothing deleted.
func (s *Store) PruneLedger(ctx context.Context, cutoff time.Time) (Pruned, error) {
	return s.prune(ctx, cutoff, pruneBatch)
}

// prune is PruneLedger in batches of batch rows.
func (s *Store) prune(ctx context.Context, cutoff time.Time, batch int) (Pruned, error) {
	var total Pruned
	for {
		n, err := s.pruneOnce(ctx, cutoff, batch)
		total.Deliveries += n.Deliveries
		total.CarrierIDs += n.CarrierIDs
		total.Receipts += n.Receipts
		switch {
		case errors.Is(err, errPruneBusy):
			return total, nil
		case err != nil:
			return total, fmt.Errorf("prune ledger: %w", err)
		case n.Deliveries < int64(batch) && n.Receipts < int64(batch):
			return total, nil
		}
	}
}

// pruneOnce deletes up to batch rows of each kind in one transaction.
func (s *Store) pruneOnce(ctx context.Context, cutoff time.Time, batch int) (Pruned, error) {
	var n Pruned
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", pruneLockID).Scan(&locked); err != nil {
			return err
		}
		if !locked {
			return errPruneBusy
		}
		if err := tx.QueryRow(ctx, pruneDeliveriesSQL, msgid.Floor(cutoff), cutoff, batch).Scan(&n.Deliveries, &n.CarrierIDs); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, pruneReceiptsSQL, cutoff, batch)
		if err != nil {
			return err
		}
		n.Receipts = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return Pruned{}, err
	}
	return n, nil
}

// LedgerJanitor prunes ledger rows older than keep every interval until
// ctx ends. keep must exceed the validity period of messages by
// MinLedgerRetentionOverValidity (cmd/tern checks it).
func (s *Store) LedgerJanitor(ctx context.Context, keep, interval time.Duration, m *Metrics) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		start := time.Now()
		n, err := s.PruneLedger(ctx, start.Add(-keep))
		m.addPruned(n)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("prune ledger", "err", err)
		case n != Pruned{}:
			s.log.Info("ledger pruned", "deliveries", n.Deliveries, "carrier_ids", n.CarrierIDs,
				"receipts", n.Receipts, "older_than", keep, "took", time.Since(start).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
