package attribution

import (
	"errors"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// DecodeLinkClick reads a click of the tracked links' topic
// (recordv1.Click, as pipeline/campaigns' Clicks writes it). That record
// names the message, not the number: the click's Phone is "", and the
// attributor takes the number from the message's own touch, so a click
// of a message the attributor never saw sent credits nothing. A click
// of a flow's message (campaign id "flow/ID") is the flow's.
func DecodeLinkClick(r *kgo.Record) (Click, error) {
	var x recordv1.Click
	if err := proto.Unmarshal(r.Value, &x); err != nil {
		return Click{}, err
	}
	if x.TenantId == "" || x.MessageId == "" || x.ClickedAt == nil {
		return Click{}, errors.New("click: tenant_id, message_id and clicked_at are required")
	}
	c := Click{Tenant: x.TenantId, MessageID: x.MessageId, CampaignID: x.CampaignId, At: x.ClickedAt.AsTime()}
	if f, ok := strings.CutPrefix(c.CampaignID, "flow/"); ok {
		c.FlowID, c.CampaignID = f, ""
	}
	return c, nil
}
