package pipeline

import (
	"context"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// CampaignHold is what the partition actor does with a message of a
// campaign (Submit.origin "campaign/<id>").
type CampaignHold uint8

const (
	// CampaignGo: the campaign runs, or is not known: send as usual.
	CampaignGo CampaignHold = iota
	// CampaignWait: the campaign is paused: the message waits in the
	// scheduler and is asked about again every CampaignRecheck.
	CampaignWait
	// CampaignWithdraw: the campaign was canceled: the message ends
	// CANCELED, never submitted.
	CampaignWithdraw
)

// CampaignRecheck is how long a paused campaign's message waits before
// its actor asks about its campaign again.
const CampaignRecheck = 5 * time.Second

// deferCampaignPaused: its campaign is paused.
const deferCampaignPaused = "campaign_paused"

// CampaignHolds tell, from memory, what to do with a campaign's message;
// cmd/tern adapts pipeline/campaigns' States. Safe for concurrent use.
type CampaignHolds interface {
	CampaignHold(tenant, origin string) CampaignHold
}

// WithCampaignHolds has the actors ask h about every message when it
// comes to them (again after a wait in the scheduler): a paused
// campaign's messages wait, a canceled one's end CANCELED. A message
// already past the question when its campaign is paused or canceled
// goes on (a cancel withdraws it, through Cancel, if no carrier has it).
func WithCampaignHolds(h CampaignHolds) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.campaigns = h })
}

// campaignHold holds back a message its campaign's state stops.
func (c *Consumer) campaignHold(ctx context.Context, m kafka.Message, rec *recordv1.Submit, now time.Time, log *slog.Logger) outcome {
	if c.campaigns == nil {
		return outcome{}
	}
	switch c.campaigns.CampaignHold(rec.TenantId, rec.Origin) {
	case CampaignWait:
		return ended(c.deferTo(ctx, m, rec, now.Add(CampaignRecheck), deferCampaignPaused, log))
	case CampaignWithdraw:
		if rec.RateTurn == lineMark {
			c.limits.Leave(rec.TenantId, rec.From)
		}
		return ended(c.emitCanceled(ctx, rec))
	}
	return outcome{}
}
