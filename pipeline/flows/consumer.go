package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/flow"
	"github.com/ternsms/tern/pipeline/storeevents"
	"github.com/ternsms/tern/pipeline/stream"
)

// Consume reads the store events topic in the engine's group until ctx
// ends, handling each event once its batch is read.
func (e *Engine) Consume(ctx context.Context) error {
	g := stream.Group{Brokers: e.cfg.Brokers, Group: e.cfg.Group, Topics: []string{e.cfg.StoreEvents}, Opts: e.cfg.KafkaOpts, Log: e.log}
	return stream.Consume(ctx, g, func(ctx context.Context, recs []*kgo.Record) error {
		for _, r := range recs {
			ev, _, err := storeevents.Decode(r.Value)
			if err != nil {
				e.log.Error("undecodable store event", "partition", r.Partition, "offset", r.Offset, "err", err)
				continue
			}
			if err := e.Handle(ctx, ev); err != nil {
				if refused(err) {
					e.log.Error("store event refused by the database; skipped", "event", ev.ID, "err", err)
					continue
				}
				return err
			}
		}
		return nil
	})
}

// refused tells whether PostgreSQL refused a value of the event itself
// (a data exception, SQLSTATE class 22): handling it again cannot
// succeed, so it is skipped rather than retried forever.
func refused(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Code, "22")
}

// Handle acts on one store event in one transaction: it ends the runs
// the event exits, notes orders and back-in-stock subscriptions, and
// starts a run of each enabled flow it triggers. It is idempotent: an
// event handled before changes nothing (runs are unique per flow and
// subject, exits apply once).
func (e *Engine) Handle(ctx context.Context, ev commerce.Event) error {
	if ev.Tenant == "" || !ev.Type.Valid() {
		return nil
	}
	views, err := e.views(ctx, e.pool, ev.Tenant)
	if err != nil {
		return err
	}
	started := 0
	err = pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		started = 0
		if _, err := e.exitRuns(ctx, tx, ev); err != nil {
			return err
		}
		if err := e.remember(ctx, tx, ev); err != nil {
			return err
		}
		for _, f := range flow.Catalogue() {
			v := views[f.ID]
			if !v.Enabled || !v.Flow.Triggered(ev) {
				continue
			}
			n, err := e.trigger(ctx, tx, v.Flow, ev)
			if err != nil {
				return err
			}
			started += n
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("flows: event %s: %w", ev.ID, err)
	}
	if started > 0 {
		e.wake()
	}
	return nil
}

// trigger starts f's run (or, for a subscribers' flow, runs) for ev and
// returns how many it started.
func (e *Engine) trigger(ctx context.Context, tx pgx.Tx, f flow.Flow, ev commerce.Event) (int, error) {
	if f.Trigger.Subscribers {
		return e.startSubscribers(ctx, tx, f, ev)
	}
	once := f.OnceKey(ev)
	if once == "" {
		e.log.Info("store event lacks what the flow is keyed by; no run", "flow", f.ID, "event", ev.ID)
		return 0, nil
	}
	r := newRun{tenant: ev.Tenant, flow: f.ID, once: once, event: ev.ID, subject: flow.SubjectOf(ev), due: e.now()}
	var err error
	if r.vars, err = e.varsOf(ctx, tx, ev); err != nil {
		return 0, err
	}
	if r.phone, err = e.phoneOf(ctx, ev); errors.Is(err, ErrNoPhone) {
		r.exit = err.Error()
	} else if err != nil {
		return 0, err
	}
	if f.ID == flow.AbandonedCheckout && r.exit == "" {
		if r.exit, err = e.orderedSince(ctx, tx, ev); err != nil {
			return 0, err
		}
	}
	ok, err := e.start(ctx, tx, r)
	if !ok || r.exit != "" {
		return 0, err
	}
	return 1, err
}

// varsOf is the template variables of a run ev starts: the event's,
// over those of its order when tern saw the order.
func (e *Engine) varsOf(ctx context.Context, tx pgx.Tx, ev commerce.Event) (map[string]string, error) {
	own := flow.Vars(ev, e.shopName(ev.Tenant))
	if ev.OrderID == "" {
		return own, nil
	}
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT vars FROM flow_orders WHERE tenant_id = $1 AND order_id = $2`, ev.Tenant, ev.OrderID).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return own, nil
	}
	if err != nil {
		return nil, fmt.Errorf("order of event: %w", err)
	}
	var base map[string]string
	if err := json.Unmarshal(raw, &base); err != nil {
		return own, nil
	}
	// review_url and payment_url fall back on the order's page, which
	// the order knows better.
	for _, k := range []string{"review_url", "payment_url"} {
		if ev.Attributes[k] == "" && ev.OrderURL == "" {
			delete(own, k)
		}
	}
	return mergeVars(base, own), nil
}

// phoneOf is the number to text about ev: its customer's phone, or its
// contact's.
func (e *Engine) phoneOf(ctx context.Context, ev commerce.Event) (string, error) {
	if p := ev.Customer.Phone; p != "" {
		return p, nil
	}
	if ev.Customer.ContactID == "" || e.contacts == nil {
		return "", ErrNoPhone
	}
	p, err := e.contacts.Phone(ctx, ev.Tenant, ev.Customer.ContactID)
	if err != nil {
		return "", fmt.Errorf("contact %s: %w", ev.Customer.ContactID, err)
	}
	n, err := commerce.NormalizePhone(p, "")
	if err != nil || n == "" {
		return "", ErrNoPhone
	}
	return n, nil
}

// orderedSince says why a checkout needs no reminder: an order from it,
// or from its customer, at or after it. "" when there is none.
func (e *Engine) orderedSince(ctx context.Context, tx pgx.Tx, ev commerce.Event) (string, error) {
	var order string
	err := tx.QueryRow(ctx, `SELECT order_id FROM flow_orders WHERE tenant_id = $1 AND checkout_id = $2 AND $2 <> ''
		UNION ALL SELECT last_order_id FROM flow_customers WHERE tenant_id = $1 AND customer_key = $3 AND last_order_at >= $4
		LIMIT 1`, ev.Tenant, ev.CheckoutID, ev.CustomerKey(), ev.OccurredAt).Scan(&order)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("orders of checkout: %w", err)
	}
	return "an order was placed before the reminder (order " + order + ")", nil
}

// remember notes ev's order (for win-back and checkouts) and its
// back-in-stock subscriptions.
func (e *Engine) remember(ctx context.Context, tx pgx.Tx, ev commerce.Event) error {
	switch ev.Type {
	case commerce.OrderCreated, commerce.OrderPaid:
		if ev.OrderID == "" {
			return nil
		}
		vars, _ := json.Marshal(flow.Vars(ev, e.shopName(ev.Tenant)))
		if _, err := tx.Exec(ctx, `INSERT INTO flow_orders (tenant_id, order_id, checkout_id, vars, at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT DO NOTHING`, ev.Tenant, ev.OrderID, ev.CheckoutID, vars, ev.OccurredAt); err != nil {
			return fmt.Errorf("note order: %w", err)
		}
		if ev.Customer.Phone == "" {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO flow_customers (tenant_id, customer_key, phone, vars, last_order_id, last_order_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (tenant_id, customer_key) DO UPDATE SET phone = $3, vars = $4, last_order_id = $5, last_order_at = $6
			WHERE flow_customers.last_order_at < $6`, ev.Tenant, ev.CustomerKey(), ev.Customer.Phone, vars, ev.OrderID, ev.OccurredAt)
		if err != nil {
			return fmt.Errorf("note customer: %w", err)
		}
	case commerce.BackInStockSubscribed:
		phone, err := e.phoneOf(ctx, ev)
		if errors.Is(err, ErrNoPhone) {
			return nil
		}
		if err != nil {
			return err
		}
		vars, _ := json.Marshal(flow.Vars(ev, e.shopName(ev.Tenant)))
		for _, it := range ev.Items {
			if it.VariantID == "" {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO flow_stock_subscriptions (tenant_id, variant_id, customer_key, phone, vars, event_id)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, variant_id, customer_key) WHERE notified_at IS NULL DO NOTHING`,
				ev.Tenant, it.VariantID, ev.CustomerKey(), phone, vars, ev.ID); err != nil {
				return fmt.Errorf("back-in-stock subscription: %w", err)
			}
		}
	}
	return nil
}

// startSubscribers starts f's run for every open subscription to a
// variant ev restocks, and closes the subscriptions.
func (e *Engine) startSubscribers(ctx context.Context, tx pgx.Tx, f flow.Flow, ev commerce.Event) (int, error) {
	n := 0
	for _, it := range ev.Items {
		rows, err := tx.Query(ctx, `UPDATE flow_stock_subscriptions SET notified_at = $3
			WHERE tenant_id = $1 AND variant_id = $2 AND notified_at IS NULL RETURNING id, customer_key, phone, vars`,
			ev.Tenant, it.VariantID, e.now())
		if err != nil {
			return n, fmt.Errorf("back-in-stock subscribers: %w", err)
		}
		var runs []newRun
		for rows.Next() {
			var id int64
			var raw []byte
			r := newRun{tenant: ev.Tenant, flow: f.ID, event: ev.ID, due: e.now()}
			if err := rows.Scan(&id, &r.subject.CustomerKey, &r.phone, &raw); err != nil {
				rows.Close()
				return n, err
			}
			json.Unmarshal(raw, &r.vars)
			r.vars = mergeVars(r.vars, flow.Vars(commerce.Event{Items: []commerce.Item{it}, Attributes: ev.Attributes}, e.shopName(ev.Tenant)))
			r.once = fmt.Sprintf("subscription:%d", id)
			runs = append(runs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
		for _, r := range runs {
			ok, err := e.start(ctx, tx, r)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
	}
	return n, nil
}

// mergeVars is base with the non-empty values of over.
func mergeVars(base, over map[string]string) map[string]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range over {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// shopName is tenant's name, for shop_name.
func (e *Engine) shopName(tenant string) string {
	if e.tenants != nil {
		if v, ok := e.tenants.Tenant(tenant); ok && v.Name != "" {
			return v.Name
		}
	}
	return tenant
}
