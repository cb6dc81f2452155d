package analytics

import (
	"context"
	"fmt"
	"time"
)

// insertEvents names every column: ClickHouse 18.16 sees a batch without
// them as having none.
const insertEvents = `INSERT INTO {db}.events (
	tenant_id, message_id, campaign_id, status, status_rank, event_time, event_ns,
	recipient, region, segments, encoding, category,
	carrier, carrier_message_id, error_code, reason,
	flow_id, sender, price_micros, currency, cost_micros, cost_currency, origin, submit)`

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
	// Column by column: appending row by row boxes every value of every
	// row into an interface.
	for i, col := range eventColumns(rows) {
		if err := b.Column(i).Append(col); err != nil {
			return fmt.Errorf("insert %d events: column %d: %w", len(rows), i, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d events: %w", len(rows), err)
	}
	return nil
}

// eventColumns lays rows out as insertEvents' columns, in its order.
func eventColumns(rows []Row) []any {
	n := len(rows)
	var (
		tenants, ids, campaigns = make([]string, n), make([]string, n), make([]string, n)
		statuses, ranks         = make([]uint8, n), make([]uint8, n)
		times                   = make([]time.Time, n)
		nanos                   = make([]uint32, n)
		recipients, regions     = make([]string, n), make([]string, n)
		segments                = make([]uint16, n)
		encodings, categories   = make([]uint8, n), make([]uint8, n)
		carriers, carrierIDs    = make([]string, n), make([]string, n)
		codes, reasons          = make([]string, n), make([]string, n)
		flows, senders, origins = make([]string, n), make([]string, n), make([]string, n)
		prices, costs           = make([]int64, n), make([]int64, n)
		currencies, costCurs    = make([]string, n), make([]string, n)
		submits                 = make([]uint8, n)
	)
	for i, r := range rows {
		t := r.Time.UTC()
		tenants[i], ids[i], campaigns[i] = r.TenantID, r.MessageID, r.CampaignID
		statuses[i], ranks[i] = uint8(r.Status), r.Status.Rank()
		times[i], nanos[i] = t, uint32(t.Nanosecond())
		recipients[i], regions[i] = r.Recipient, r.Region
		segments[i], encodings[i], categories[i] = uint16(r.Segments), uint8(r.Encoding), uint8(r.Category)
		carriers[i], carrierIDs[i], codes[i], reasons[i] = r.Carrier, r.CarrierMessageID, r.ErrorCode, r.Reason
		flows[i], senders[i], origins[i] = r.FlowID, r.Sender, r.Origin
		prices[i], currencies[i], costs[i], costCurs[i] = r.PriceMicros, r.Currency, r.CostMicros, r.CostCurrency
		if r.Submit {
			submits[i] = 1
		}
	}
	return []any{
		tenants, ids, campaigns, statuses, ranks, times, nanos,
		recipients, regions, segments, encodings, categories,
		carriers, carrierIDs, codes, reasons,
		flows, senders, prices, currencies, costs, costCurs, origins, submits,
	}
}
