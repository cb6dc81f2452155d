package attribution

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// Run attributes due orders, publishes their records and prunes old
// touches until ctx ends. Every instance may run it.
func (a *Attributor) Run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		if _, err := a.AttributeDue(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("attribute orders", "err", err)
		}
		if err := a.publish(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("publish attributions; retried", "err", err)
		}
		if now := a.now(); now.Sub(lastPrune) > time.Hour {
			if _, err := a.pool.Exec(ctx, `DELETE FROM attribution_touches WHERE at < $1`, now.Add(-MaxWindow)); err != nil && ctx.Err() == nil {
				a.log.Warn("prune touches", "err", err)
			}
			lastPrune = now
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// AttributeDue attributes the orders whose grace period is over and
// returns how many it attributed (to a touch or to none).
func (a *Attributor) AttributeDue(ctx context.Context) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT tenant_id, order_id, phone, ordered_at FROM attribution_orders
			WHERE model = '' AND due_at <= $1 ORDER BY due_at LIMIT 200 FOR UPDATE SKIP LOCKED`, a.now())
		if err != nil {
			return err
		}
		var os []order
		for rows.Next() {
			var o order
			if err := rows.Scan(&o.tenant, &o.id, &o.phone, &o.at); err != nil {
				rows.Close()
				return err
			}
			os = append(os, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range os {
			if err := a.attribute(ctx, tx, o); err != nil {
				return err
			}
		}
		n = len(os)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("attribute orders: %w", err)
	}
	return n, nil
}

// attribute credits o to its customer's last click within the click
// window, else their last marketing message within the message window,
// else to none.
func (a *Attributor) attribute(ctx context.Context, tx pgx.Tx, o order) error {
	click, message, err := a.Windows(ctx, o.tenant)
	if err != nil {
		return err
	}
	model := "none"
	var t touch
	for _, try := range []struct {
		kind   string
		window time.Duration
	}{{"click", click}, {"message", message}} {
		err := tx.QueryRow(ctx, `SELECT message_id, campaign_id, flow_id, at FROM attribution_touches
			WHERE tenant_id = $1 AND phone = $2 AND kind = $3 AND at <= $4 AND at >= $5 ORDER BY at DESC LIMIT 1`,
			o.tenant, o.phone, try.kind, o.at, o.at.Add(-try.window)).Scan(&t.message, &t.campaign, &t.flow, &t.at)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		model = try.kind
		break
	}
	var touched *time.Time
	if model != "none" {
		touched = &t.at
	}
	_, err = tx.Exec(ctx, `UPDATE attribution_orders SET model = $3, campaign_id = $4, flow_id = $5, message_id = $6, touched_at = $7
		WHERE tenant_id = $1 AND order_id = $2`, o.tenant, o.id, model, t.campaign, t.flow, t.message, touched)
	return err
}

// publish puts the attributed orders not yet published on the topic.
func (a *Attributor) publish(ctx context.Context) error {
	rows, err := a.pool.Query(ctx, `SELECT tenant_id, order_id, order_name, phone, amount_micros, currency, ordered_at, model,
		campaign_id, flow_id, message_id, touched_at FROM attribution_orders WHERE model NOT IN ('', 'none') AND NOT published LIMIT 500`)
	if err != nil {
		return err
	}
	var recs []*kgo.Record
	var tenants, ids []string
	for rows.Next() {
		var r recordv1.Attribution
		var ordered, touched time.Time
		if err := rows.Scan(&r.TenantId, &r.OrderId, &r.OrderName, &r.To, &r.AmountMicros, &r.Currency, &ordered, &r.Model,
			&r.CampaignId, &r.FlowId, &r.MessageId, &touched); err != nil {
			rows.Close()
			return err
		}
		r.OrderedAt, r.TouchedAt = timestamppb.New(ordered), timestamppb.New(touched)
		v, err := proto.Marshal(&r)
		if err != nil {
			rows.Close()
			return err
		}
		recs = append(recs, &kgo.Record{Key: []byte(r.TenantId), Value: v})
		tenants, ids = append(tenants, r.TenantId), append(ids, r.OrderId)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(recs) == 0 {
		return err
	}
	if err := a.pub.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("produce attributions: %w", err)
	}
	_, err = a.pool.Exec(ctx, `UPDATE attribution_orders o SET published = true FROM unnest($1::text[], $2::text[]) AS x(t, i)
		WHERE o.tenant_id = x.t AND o.order_id = x.i`, tenants, ids)
	return err
}
