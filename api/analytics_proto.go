package api

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/hygiene"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// The analytics reports as their proto messages. HygieneClass and
// DeliveryDimension share their values with core/hygiene.Class and
// analytics.Dimension (TestAnalyticsEnumsAgree).

func funnelProto(f analytics.Funnel) *ternv1.Funnel {
	return &ternv1.Funnel{
		Accepted: f.Accepted, Submitted: f.Submitted, Delivered: f.Delivered, Undelivered: f.Undelivered,
		Failed: f.Failed, Expired: f.Expired, Rejected: f.Rejected, Unknown: f.Unknown, Canceled: f.Canceled,
		InFlight: f.InFlight,
	}
}

func moneyProto(ms []analytics.Money) []*ternv1.Money {
	out := make([]*ternv1.Money, len(ms))
	for i, m := range ms {
		out[i] = &ternv1.Money{Currency: m.Currency, Micros: m.Micros}
	}
	return out
}

func oneMoney(micros int64, currency string) *ternv1.Money {
	if currency == "" {
		return nil
	}
	return &ternv1.Money{Currency: currency, Micros: micros}
}

func breakdownsProto(bs []analytics.Breakdown) []*ternv1.Breakdown {
	out := make([]*ternv1.Breakdown, len(bs))
	for i, b := range bs {
		out[i] = &ternv1.Breakdown{Key: b.Key, Funnel: funnelProto(b.Funnel), Segments: b.Segments,
			Price: moneyProto(b.Price), Cost: moneyProto(b.Cost)}
	}
	return out
}

func latencyProto(l analytics.Latency) *ternv1.Latency {
	return &ternv1.Latency{Samples: l.Samples, P50Ms: l.P50.Milliseconds(), P95Ms: l.P95.Milliseconds(), P99Ms: l.P99.Milliseconds()}
}

func campaignReportProto(r analytics.CampaignReport) *ternv1.GetCampaignReportResponse {
	out := &ternv1.GetCampaignReportResponse{
		CampaignId: r.CampaignID, Funnel: funnelProto(r.Funnel), Segments: r.Segments,
		Price: moneyProto(r.Price), Cost: moneyProto(r.Cost),
		ByCountry: breakdownsProto(r.ByCountry), ByCarrier: breakdownsProto(r.ByCarrier),
		AcceptToSubmit: latencyProto(r.AcceptToSubmit), SubmitToFinal: latencyProto(r.SubmitToFinal),
		Clicks: r.Clicks, ClickedMessages: r.ClickedMessages, OptOuts: r.OptOuts, Orders: r.Orders,
		Revenue: moneyProto(r.Revenue),
	}
	for _, p := range r.Timeline {
		out.Timeline = append(out.Timeline, &ternv1.TimelinePoint{Minute: timestamppb.New(p.Minute), Funnel: funnelProto(p.Funnel),
			Segments: p.Segments, Price: moneyProto(p.Price), Cost: moneyProto(p.Cost)})
	}
	for _, c := range r.ErrorCodes {
		out.ErrorCodes = append(out.ErrorCodes, &ternv1.ErrorCodeCount{Carrier: c.Carrier, ErrorCode: c.ErrorCode,
			Status: ternv1.Status(c.Status), Messages: c.Messages})
	}
	return out
}

func deliveryReportProto(r analytics.DeliveryReport) *ternv1.GetDeliveryReportResponse {
	out := &ternv1.GetDeliveryReportResponse{From: timestamppb.New(r.From), To: timestamppb.New(r.To)}
	for _, row := range r.Rows {
		out.Rows = append(out.Rows, &ternv1.DeliveryRow{
			Country: row.Country, Carrier: row.Carrier, Sender: row.Sender, Category: ternv1.Category(row.Category),
			CampaignId: row.CampaignID, Funnel: funnelProto(row.Funnel), Segments: row.Segments,
			Price: moneyProto(row.Price), Cost: moneyProto(row.Cost), DeliveryRate: row.Funnel.DeliveryRate(),
		})
	}
	return out
}

func listedProto(m analytics.ListedMessage) *ternv1.ListedMessage {
	msg := messageFromView(m.MessageView)
	msg.From = m.Sender
	return &ternv1.ListedMessage{Message: msg, FlowId: m.FlowID, Country: m.Region,
		Price: oneMoney(m.PriceMicros, m.Currency), Cost: oneMoney(m.CostMicros, m.CostCurrency)}
}

// filterFrom reads a request's message filter.
func filterFrom(f *ternv1.MessageFilter) analytics.MessageFilter {
	out := analytics.MessageFilter{To: f.GetTo(), CampaignID: f.GetCampaignId()}
	for _, st := range f.GetStatuses() {
		out.Statuses = append(out.Statuses, core.Status(min(max(st, 0), 255)))
	}
	if f.GetAcceptedAfter() != nil {
		out.AcceptedAfter = f.GetAcceptedAfter().AsTime()
	}
	if f.GetAcceptedBefore() != nil {
		out.AcceptedBefore = f.GetAcceptedBefore().AsTime()
	}
	return out
}

func hygieneReportProto(r analytics.HygieneReport, next string) *ternv1.GetListHygieneReportResponse {
	out := &ternv1.GetListHygieneReportResponse{Numbers: r.Numbers, NextPageToken: next}
	if !r.ClassifiedAt.IsZero() {
		out.ClassifiedAt = timestamppb.New(r.ClassifiedAt)
	}
	for _, c := range r.Classes {
		out.Classes = append(out.Classes, &ternv1.HygieneClassSummary{Class: ternv1.HygieneClass(c.Class), Numbers: c.Numbers,
			Messages: c.Messages, Spent: moneyProto(c.Spent), Suppressed: c.Suppressed})
	}
	for _, h := range r.Entries {
		out.Entries = append(out.Entries, &ternv1.HygieneNumber{Number: h.Number, Class: ternv1.HygieneClass(h.Class), Detail: h.Detail,
			Country: h.Country, Messages: h.Messages, NotDelivered: h.NotDelivered, Spent: oneMoney(h.Spent.Micros, h.Spent.Currency),
			LastAttempt: timestamp(h.LastAttempt), LastDelivered: timestamp(h.LastDelivered), Suppressed: h.Suppressed})
	}
	return out
}

// hygieneClass reads a requested class; unspecified is every class.
func hygieneClass(c ternv1.HygieneClass) (hygiene.Class, error) {
	if c < 0 || int(c) > len(hygiene.Classes) {
		return 0, &analytics.RequestError{Field: "class", Reason: "unknown hygiene class"}
	}
	return hygiene.Class(c), nil
}

// timeOf reads an optional timestamp; unset is the zero time.
func timeOrZero(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}
