package analytics

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// EngagementKind is what a recipient did; the values equal
// tern.record.v1.EngagementKind.
type EngagementKind uint8

const (
	EngagementClick    EngagementKind = 1
	EngagementOrder    EngagementKind = 2
	EngagementOptOut   EngagementKind = 3
	EngagementVerified EngagementKind = 4
)

// Engagement is one row of the engagements table.
type Engagement struct {
	TenantID     string
	Kind         EngagementKind
	ID           string
	MessageID    string
	CampaignID   string
	FlowID       string
	Recipient    string
	AmountMicros int64
	Currency     string
	Time         time.Time
	Detail       string
}

// Validate reports ErrInvalidRow for an engagement no report could count.
func (e Engagement) Validate() error {
	switch {
	case e.TenantID == "":
		return fmt.Errorf("%w: engagement %q: no tenant id", ErrInvalidRow, e.ID)
	case e.ID == "":
		return fmt.Errorf("%w: engagement without an id", ErrInvalidRow)
	case e.Kind < EngagementClick || e.Kind > EngagementVerified:
		return fmt.Errorf("%w: engagement %q: kind %d", ErrInvalidRow, e.ID, e.Kind)
	case e.Time.Unix() < 0 || e.Time.Unix() > 1<<32-1:
		return fmt.Errorf("%w: engagement %q: time %s out of range", ErrInvalidRow, e.ID, e.Time)
	}
	return nil
}

// engagementRow decodes an engagements topic value, timed at fallback
// (the Kafka record's timestamp) when it carries no time.
func engagementRow(value []byte, fallback time.Time) (Engagement, error) {
	var r recordv1.Engagement
	if err := proto.Unmarshal(value, &r); err != nil {
		return Engagement{}, fmt.Errorf("%w: engagement: %v", ErrUndecodable, err)
	}
	e := Engagement{
		TenantID: r.GetTenantId(), Kind: EngagementKind(r.GetKind()), ID: r.GetId(), MessageID: r.GetMessageId(),
		CampaignID: r.GetCampaignId(), FlowID: r.GetFlowId(), Recipient: r.GetTo(), AmountMicros: r.GetAmountMicros(),
		Currency: r.GetCurrency(), Time: timeOr(r.GetTime(), fallback), Detail: r.GetDetail(),
	}
	if r.GetKind() < 0 || r.GetKind() > 255 {
		e.Kind = 0
	}
	return e, e.Validate()
}

// replyOptOut decodes a replies topic value into the opt-out it records,
// still to be attributed to a campaign; ok is false for a reply that is
// not an opt-out. Its id is the MO record it came from, so the reply's
// copies count once.
func replyOptOut(value []byte, fallback time.Time) (e Engagement, ok bool, err error) {
	var r recordv1.Reply
	if err := proto.Unmarshal(value, &r); err != nil {
		return Engagement{}, false, fmt.Errorf("%w: reply: %v", ErrUndecodable, err)
	}
	if r.GetAction() != "opted_out" {
		return Engagement{}, false, nil
	}
	id := r.GetSource()
	if id == "" {
		id = "reply/" + r.GetFrom() + "/" + timeOr(r.GetReceivedAt(), fallback).UTC().Format(time.RFC3339Nano)
	}
	e = Engagement{TenantID: r.GetTenantId(), Kind: EngagementOptOut, ID: id, Recipient: r.GetFrom(),
		Time: timeOr(r.GetReceivedAt(), fallback), Detail: r.GetText()}
	return e, true, e.Validate()
}

// OptOutWindow is how far back an opt-out looks for the campaign that
// caused it: the number's last campaign message in it.
const OptOutWindow = 7 * 24 * time.Hour

// attribute fills in the campaign and message of opt-outs that lack
// them: the number's latest campaign message accepted in the OptOutWindow
// before the opt-out.
func (s *Store) attribute(ctx context.Context, es []Engagement) error {
	for i := range es {
		e := &es[i]
		if e.Kind != EngagementOptOut || e.CampaignID != "" || e.Recipient == "" {
			continue
		}
		err := s.conn.QueryRow(ctx, s.sql(`SELECT argMax(campaign_id, accepted), argMax(message_id, accepted)
			FROM {db}.recipient_messages
			WHERE tenant_id = ? AND recipient = ? AND campaign_id != '' AND accepted >= ? AND accepted <= ?`),
			e.TenantID, e.Recipient, e.Time.Add(-OptOutWindow).UTC(), e.Time.UTC()).Scan(&e.CampaignID, &e.MessageID)
		if err != nil {
			return fmt.Errorf("attribute opt-out %s: %w", e.ID, err)
		}
	}
	return nil
}

// insertEngagements writes es in one batch. Writing one again is
// harmless: the reports count each id once.
func (s *Store) insertEngagements(ctx context.Context, es []Engagement) error {
	if len(es) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, s.sql(`INSERT INTO {db}.engagements (tenant_id, campaign_id, kind, id, message_id,
		flow_id, recipient, amount_micros, currency, time, detail)`))
	if err != nil {
		return fmt.Errorf("insert %d engagements: %w", len(es), err)
	}
	defer b.Abort() //nolint:errcheck // a no-op once sent
	for _, e := range es {
		if err := b.Append(e.TenantID, e.CampaignID, uint8(e.Kind), e.ID, e.MessageID, e.FlowID, e.Recipient,
			e.AmountMicros, e.Currency, e.Time.UTC(), e.Detail); err != nil {
			return fmt.Errorf("insert %d engagements: %w", len(es), err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d engagements: %w", len(es), err)
	}
	return nil
}

// InsertEngagements validates es and writes them, for tests and tools
// that write engagements without Kafka.
func (s *Store) InsertEngagements(ctx context.Context, es []Engagement) error {
	for i, e := range es {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("insert engagement %d: %w", i, err)
		}
	}
	return s.insertEngagements(ctx, es)
}
