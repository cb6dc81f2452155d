package analytics

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"
)

// exportPage is how many messages one chunk of an export holds.
const exportPage = MaxPageSize

// messageCSVHeader names ExportMessages' columns.
var messageCSVHeader = []string{
	"id", "to", "country", "sender", "campaign_id", "flow_id", "category", "status", "segments", "encoding",
	"carrier", "carrier_message_id", "error_code", "reason", "price", "currency", "cost", "cost_currency",
	"accepted_at", "submitted_at", "done_at",
}

// ExportMessages writes every message of a tenant matching f as CSV, in
// chunks of whole lines newest first, the first starting with the header;
// it returns when emit fails or the messages are done. It counts as one
// report query however long it runs.
func (s *Store) ExportMessages(ctx context.Context, tenantID string, f MessageFilter, emit func([]byte) error) error {
	f, err := f.check(time.Now())
	if err != nil {
		return err
	}
	release, err := s.reads.acquire(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("export messages: %w", err)
	}
	defer release()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(messageCSVHeader) //nolint:errcheck // a bytes.Buffer does not fail
	cur := &cursor{at: f.AcceptedBefore}
	for cur != nil {
		var page []ListedMessage
		if page, cur, err = s.listPage(ctx, tenantID, f, exportPage, *cur); err != nil {
			return fmt.Errorf("export messages: %w", err)
		}
		for _, m := range page {
			w.Write(messageCSV(m)) //nolint:errcheck // as above
		}
		w.Flush()
		if buf.Len() == 0 {
			continue
		}
		if err := emit(bytes.Clone(buf.Bytes())); err != nil {
			return err
		}
		buf.Reset()
	}
	return nil
}

func messageCSV(m ListedMessage) []string {
	return []string{
		m.ID, m.To, m.Region, m.Sender, m.CampaignID, m.FlowID, m.Category.String(), m.Status.String(),
		strconv.Itoa(m.Segments), m.Encoding.String(), m.Carrier, m.CarrierMessageID, m.ErrorCode, m.Reason,
		micros(m.PriceMicros, m.Currency), m.Currency, micros(m.CostMicros, m.CostCurrency), m.CostCurrency,
		csvTime(m.AcceptedAt), csvTime(m.SubmittedAt), csvTime(m.DoneAt),
	}
}

// micros writes an amount as a decimal, "" without a currency.
func micros(v int64, currency string) string {
	if currency == "" {
		return ""
	}
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%06d", sign, v/1_000_000, v%1_000_000)
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
