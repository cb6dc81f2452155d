package attribution

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/pipeline/storeevents"
	"github.com/ternsms/tern/pipeline/stream"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// touch is a click or a marketing message, for one customer.
type touch struct {
	tenant, phone, kind, message, campaign, flow string
	at                                           time.Time
}

// order is an order to attribute.
type order struct {
	tenant, id, name, phone, currency string
	amount                            int64
	at                                time.Time
}

// Consume reads the events, store events and clicks topics in the
// attributor's group until ctx ends.
func (a *Attributor) Consume(ctx context.Context) error {
	topics := []string{a.cfg.Events, a.cfg.StoreEvents}
	if a.cfg.Clicks != "" {
		topics = append(topics, a.cfg.Clicks)
	}
	g := stream.Group{Brokers: a.cfg.Brokers, Group: a.cfg.Group, Topics: topics, Opts: a.cfg.KafkaOpts, Log: a.log}
	return stream.Consume(ctx, g, a.handle)
}

// handle notes the touches and orders of a batch, in two statements.
func (a *Attributor) handle(ctx context.Context, recs []*kgo.Record) error {
	var ts []touch
	var os []order
	for _, r := range recs {
		switch r.Topic {
		case a.cfg.Events:
			if t, ok := a.messageTouch(r); ok {
				ts = append(ts, t)
			}
		case a.cfg.Clicks:
			c, err := a.cfg.DecodeClick(r)
			if err != nil {
				a.log.Error("undecodable click", "partition", r.Partition, "offset", r.Offset, "err", err)
				continue
			}
			ts = append(ts, clickTouch(c))
		case a.cfg.StoreEvents:
			e, _, err := storeevents.Decode(r.Value)
			if err != nil {
				a.log.Error("undecodable store event", "partition", r.Partition, "offset", r.Offset, "err", err)
				continue
			}
			if o, ok := orderOf(e); ok {
				os = append(os, o)
			}
		}
	}
	if err := a.addTouches(ctx, ts); err != nil {
		return err
	}
	return a.addOrders(ctx, os)
}

// messageTouch reads a marketing message's send from an events record.
func (a *Attributor) messageTouch(r *kgo.Record) (touch, bool) {
	var ev recordv1.Event
	if err := proto.Unmarshal(r.Value, &ev); err != nil {
		a.log.Error("undecodable event", "partition", r.Partition, "offset", r.Offset, "err", err)
		return touch{}, false
	}
	if ev.Category != ternv1.Category_CATEGORY_MARKETING || ev.TenantId == "" || ev.To == "" || ev.Time == nil ||
		(ev.Status != ternv1.Status_STATUS_SUBMITTED && ev.Status != ternv1.Status_STATUS_DELIVERED) {
		return touch{}, false
	}
	t := touch{tenant: ev.TenantId, phone: ev.To, kind: "message", message: ev.MessageId, campaign: ev.CampaignId, at: ev.Time.AsTime()}
	if f, ok := strings.CutPrefix(ev.Origin, "flow/"); ok {
		t.flow, t.campaign = f, ""
	}
	return t, true
}

func clickTouch(c Click) touch {
	return touch{tenant: c.Tenant, phone: c.Phone, kind: "click", message: c.MessageID, campaign: c.CampaignID, flow: c.FlowID, at: c.At}
}

// orderOf is the order an order_created event reports.
func orderOf(e commerce.Event) (order, bool) {
	if e.Type != commerce.OrderCreated || e.OrderID == "" || e.Customer.Phone == "" {
		return order{}, false
	}
	return order{tenant: e.Tenant, id: e.OrderID, name: e.OrderName, phone: e.Customer.Phone, currency: e.Currency,
		amount: int64(e.Amount), at: e.OccurredAt}, true
}

// RecordClick notes one click, for a link service that calls rather
// than writes a topic.
func (a *Attributor) RecordClick(ctx context.Context, c Click) error {
	if c.Tenant == "" || c.Phone == "" || c.At.IsZero() {
		return fmt.Errorf("click: tenant, phone and time are required")
	}
	return a.addTouches(ctx, []touch{clickTouch(c)})
}

func (a *Attributor) addTouches(ctx context.Context, ts []touch) error {
	if len(ts) == 0 {
		return nil
	}
	n := len(ts)
	tenant, phone, kind, msg, camp, flow, at := make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]time.Time, n)
	for i, t := range ts {
		tenant[i], phone[i], kind[i], msg[i], camp[i], flow[i], at[i] = t.tenant, t.phone, t.kind, t.message, t.campaign, t.flow, t.at
	}
	_, err := a.pool.Exec(ctx, `INSERT INTO attribution_touches (tenant_id, phone, kind, message_id, campaign_id, flow_id, at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
		ON CONFLICT DO NOTHING`, tenant, phone, kind, msg, camp, flow, at)
	if err != nil {
		return fmt.Errorf("attribution touches: %w", err)
	}
	return nil
}

func (a *Attributor) addOrders(ctx context.Context, os []order) error {
	if len(os) == 0 {
		return nil
	}
	n := len(os)
	tenant, id, name, phone, cur := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	amount, at := make([]int64, n), make([]time.Time, n)
	for i, o := range os {
		tenant[i], id[i], name[i], phone[i], cur[i], amount[i], at[i] = o.tenant, o.id, o.name, o.phone, o.currency, o.amount, o.at
	}
	_, err := a.pool.Exec(ctx, `INSERT INTO attribution_orders (tenant_id, order_id, order_name, phone, currency, amount_micros, ordered_at, due_at)
		SELECT t, i, n, p, c, m, a, $8 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::timestamptz[])
			AS x(t, i, n, p, c, m, a)
		ON CONFLICT DO NOTHING`, tenant, id, name, phone, cur, amount, at, a.now().Add(a.cfg.Grace))
	if err != nil {
		return fmt.Errorf("attribution orders: %w", err)
	}
	return nil
}
