package analytics

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// The features' own records become engagements here: a tracked link's
// Click (pipeline/campaigns, the clicks topic), an order's Attribution
// (pipeline/attribution, the attributions topic) and a VerifyEvent
// (pipeline/verify, the verify topic). Each gets an id that is the same
// on every copy of its record, so copies count once.

// clickEngagement decodes a clicks topic value. Its id is the link's code
// and the click's time: a click produced twice is the same click.
func clickEngagement(value []byte, fallback time.Time) (Engagement, error) {
	var r recordv1.Click
	if err := proto.Unmarshal(value, &r); err != nil {
		return Engagement{}, fmt.Errorf("%w: click: %v", ErrUndecodable, err)
	}
	at := timeOr(r.GetClickedAt(), fallback)
	e := Engagement{
		TenantID: r.GetTenantId(), Kind: EngagementClick, MessageID: r.GetMessageId(), CampaignID: r.GetCampaignId(),
		Time: at, Detail: r.GetUrl(),
	}
	if r.GetCode() != "" {
		e.ID = "click/" + r.GetCode() + "/" + at.UTC().Format(time.RFC3339Nano)
	}
	return e, e.Validate()
}

// attributionEngagement decodes an attributions topic value: the order's
// revenue credited to a campaign or a flow, once per order.
func attributionEngagement(value []byte, fallback time.Time) (Engagement, error) {
	var r recordv1.Attribution
	if err := proto.Unmarshal(value, &r); err != nil {
		return Engagement{}, fmt.Errorf("%w: attribution: %v", ErrUndecodable, err)
	}
	e := Engagement{
		TenantID: r.GetTenantId(), Kind: EngagementOrder, ID: r.GetOrderId(), MessageID: r.GetMessageId(),
		CampaignID: r.GetCampaignId(), FlowID: r.GetFlowId(), Recipient: r.GetTo(), AmountMicros: r.GetAmountMicros(),
		Currency: r.GetCurrency(), Time: timeOr(r.GetOrderedAt(), fallback), Detail: r.GetOrderName(),
	}
	return e, e.Validate()
}

// verifyEngagement decodes a verify topic value; ok is false for every
// event but an approved check, the one engagement a verification has.
func verifyEngagement(value []byte, fallback time.Time) (e Engagement, ok bool, err error) {
	var r recordv1.VerifyEvent
	if err := proto.Unmarshal(value, &r); err != nil {
		return Engagement{}, false, fmt.Errorf("%w: verify event: %v", ErrUndecodable, err)
	}
	if r.GetKind() != "checked" || r.GetOutcome() != "approved" {
		return Engagement{}, false, nil
	}
	e = Engagement{TenantID: r.GetTenantId(), Kind: EngagementVerified, ID: r.GetVerificationId(),
		Time: timeOr(r.GetAt(), fallback), Detail: r.GetRegion()}
	return e, true, e.Validate()
}
