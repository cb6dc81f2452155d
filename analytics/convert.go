package analytics

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// submitRow decodes a submit topic value into the row of its QUEUED event,
// timed at accepted_at or, when that is missing, at fallback (the Kafka
// record's timestamp).
func submitRow(value []byte, fallback time.Time) (Row, error) {
	var s recordv1.Submit
	if err := proto.Unmarshal(value, &s); err != nil {
		return Row{}, fmt.Errorf("%w: submit: %v", ErrUndecodable, err)
	}
	r := Row{
		TenantID:   s.GetTenantId(),
		MessageID:  s.GetId(),
		CampaignID: s.GetCampaignId(),
		Status:     core.StatusQueued,
		Time:       timeOr(s.GetAcceptedAt(), fallback),
		Recipient:  s.GetTo(),
		Region:     s.GetRegion(),
		Segments:   int(s.GetSegments()),
		Encoding:   gsm.Encoding(s.GetEncoding()),
		Category:   core.Category(s.GetCategory()),
		Submit:     true,
		Origin:     s.GetOrigin(),
		Sender:     s.GetFrom(),
		// A price without a currency says nothing.
		PriceMicros: max(s.GetPriceMicros(), 0),
		Currency:    s.GetCurrency(),
	}
	if r.Currency == "" {
		r.PriceMicros = 0
	}
	fromOrigin(&r)
	return r, r.Validate()
}

// fromOrigin fills in the flow, and the campaign when the record names
// none, from the message's origin ("flow/ID", "campaign/ID").
func fromOrigin(r *Row) {
	if id, ok := strings.CutPrefix(r.Origin, "flow/"); ok {
		r.FlowID = id
	}
	if id, ok := strings.CutPrefix(r.Origin, "campaign/"); ok && r.CampaignID == "" {
		r.CampaignID = id
	}
}

// eventRow decodes an events topic value into its row, timed at the event's
// time or, when that is missing, at fallback.
func eventRow(value []byte, fallback time.Time) (Row, error) {
	var e recordv1.Event
	if err := proto.Unmarshal(value, &e); err != nil {
		return Row{}, fmt.Errorf("%w: event: %v", ErrUndecodable, err)
	}
	st := e.GetStatus()
	if st < 0 || st > 255 {
		return Row{}, fmt.Errorf("%w: message %q: status %d", ErrInvalidRow, e.GetMessageId(), st)
	}
	r := Row{
		TenantID:         e.GetTenantId(),
		MessageID:        e.GetMessageId(),
		CampaignID:       e.GetCampaignId(),
		Status:           core.Status(st),
		Time:             timeOr(e.GetTime(), fallback),
		Recipient:        e.GetTo(),
		Region:           e.GetRegion(),
		Segments:         int(e.GetSegments()),
		Encoding:         gsm.Encoding(e.GetEncoding()),
		Category:         core.Category(e.GetCategory()),
		Carrier:          e.GetCarrier(),
		CarrierMessageID: e.GetCarrierMessageId(),
		ErrorCode:        e.GetErrorCode(),
		Reason:           e.GetReason(),
		Origin:           e.GetOrigin(),
		Sender:           e.GetFrom(),
		PriceMicros:      max(e.GetPriceMicros(), 0),
		Currency:         e.GetCurrency(),
	}
	if r.Currency == "" {
		r.PriceMicros = 0
	}
	if e.GetAcceptedAt() != nil {
		r.AcceptedAt = timeOr(e.GetAcceptedAt(), time.Time{})
	}
	fromOrigin(&r)
	return r, r.Validate()
}

func timeOr(ts *timestamppb.Timestamp, fallback time.Time) time.Time {
	if ts == nil || (ts.GetSeconds() == 0 && ts.GetNanos() == 0) || ts.CheckValid() != nil {
		return fallback
	}
	return ts.AsTime()
}
