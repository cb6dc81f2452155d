package analytics

import (
	"context"
	"fmt"
)

// insertEvents names every column: ClickHouse 18.16 sees a batch without
// them as having none.
const insertEvents = `INSERT INTO {db}.events (
	tenant_id, message_id, campaign_id, status, status_rank, event_time, event_ns,
	recipient, region, segments, encoding, category,
	carrier, carrier_message_id, error_code, reason)`

// Insert writes rows to the events table in one batch. It validates every
// row first and inserts none when one is invalid. Inserting a row again is
// harmless: the queries count each event once.
func (s *Store) Insert(ctx context.Context, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	for i, r := range rows {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("insert row %d: %w", i, err)
		}
	}
	b, err := s.conn.PrepareBatch(ctx, s.sql(insertEvents))
	if err != nil {
		return fmt.Errorf("insert %d events: %w", len(rows), err)
	}
	defer b.Abort() //nolint:errcheck // a no-op once sent
	for _, r := range rows {
		t := r.Time.UTC()
		err := b.Append(
			r.TenantID, r.MessageID, r.CampaignID,
			uint8(r.Status), r.Status.Rank(), t, uint32(t.Nanosecond()),
			r.Recipient, r.Region, uint16(r.Segments), uint8(r.Encoding), uint8(r.Category),
			r.Carrier, r.CarrierMessageID, r.ErrorCode, r.Reason,
		)
		if err != nil {
			return fmt.Errorf("insert %d events: message %s: %w", len(rows), r.MessageID, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d events: %w", len(rows), err)
	}
	return nil
}
