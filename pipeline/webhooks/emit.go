package webhooks

import (
	"context"
	"fmt"
	"time"
)

// row is one outbox row to insert.
type row struct {
	tenant, endpoint, url, signer, target, id, typ, key, contentType string
	body                                                             []byte
	created                                                          time.Time
}

// Emit puts evs in the outbox for every enabled endpoint of their
// tenant that asked for their type, once per endpoint and event id (an
// event emitted again is not queued again). It returns once the rows
// are committed. When a healthy endpoint's backlog is past MaxPending it
// first waits for it to drain, or for ctx to end.
func (o *Outbox) Emit(ctx context.Context, evs []Event) error {
	snap, err := o.endpoints(ctx)
	if err != nil {
		return err
	}
	var rows []row
	targets := map[string]bool{}
	for _, ev := range evs {
		eps := snap.tenants[ev.Tenant]
		if len(eps) == 0 {
			continue
		}
		if ev.Created.IsZero() {
			ev.Created = o.now()
		}
		body, err := ev.body()
		if err != nil {
			o.log.Error("webhook event not encodable; dropped", "event", ev.ID, "err", err)
			continue
		}
		for _, ep := range eps {
			if !wants(ep.Events, ev.Type) {
				continue
			}
			rows = append(rows, row{tenant: ev.Tenant, endpoint: ep.ID, target: ep.ID, id: ev.ID, typ: ev.Type, key: ev.OrderingKey,
				contentType: "application/json", body: body, created: ev.Created})
			targets[ep.ID] = true
		}
	}
	if len(rows) == 0 {
		return nil
	}
	for id := range targets {
		if err := o.backpressure(ctx, id); err != nil {
			return err
		}
	}
	if err := o.insert(ctx, rows); err != nil {
		return err
	}
	for id := range targets {
		o.poke(id)
	}
	return nil
}

// Post is an ad-hoc signed POST of another feature (a status callback
// to a URL the sender chose): delivered like an endpoint's events, to a
// public address only, signed by the Signer registered under Signer.
type Post struct {
	Tenant      string
	URL         string
	Body        []byte
	ContentType string
	Signer      string
	// EventID dedupes: one post per URL and EventID.
	EventID     string
	EventType   string
	OrderingKey string
}

// Enqueue puts ad-hoc posts in the outbox.
func (o *Outbox) Enqueue(ctx context.Context, posts []Post) error {
	rows := make([]row, 0, len(posts))
	for i, p := range posts {
		if err := CheckURL(p.URL, o.cfg.Client.Allow); err != nil {
			return fmt.Errorf("post %d: %w", i, err)
		}
		if _, ok := o.signers[p.Signer]; p.Signer != "" && !ok {
			return fmt.Errorf("post %d: no signer %q registered", i, p.Signer)
		}
		if p.EventID == "" {
			return invalid("event_id", "required")
		}
		ct := p.ContentType
		if ct == "" {
			ct = "application/json"
		}
		rows = append(rows, row{tenant: p.Tenant, url: p.URL, signer: p.Signer, target: "url:" + p.URL, id: p.EventID, typ: p.EventType,
			key: p.OrderingKey, contentType: ct, body: p.Body, created: o.now()})
	}
	if err := o.insert(ctx, rows); err != nil {
		return err
	}
	o.poke("")
	return nil
}

func (o *Outbox) insert(ctx context.Context, rows []row) error {
	n := len(rows)
	tenant, ep, url, signer, target, id, typ, key, ct := make([]string, n), make([]*string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	body, created := make([][]byte, n), make([]time.Time, n)
	for i, r := range rows {
		tenant[i], url[i], signer[i], target[i], id[i], typ[i], key[i], ct[i], body[i], created[i] =
			r.tenant, r.url, r.signer, r.target, r.id, r.typ, r.key, r.contentType, r.body, r.created
		if r.endpoint != "" {
			ep[i] = &rows[i].endpoint
		}
	}
	_, err := o.pool.Exec(ctx, `INSERT INTO webhook_outbox (tenant_id, endpoint_id, url, signer, target, event_id, event_type, ordering_key,
			content_type, body, created_at, next_attempt_at)
		SELECT *, x.c FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::bytea[], $11::timestamptz[]) AS x(t, e, u, s, g, i, y, k, ct, b, c)
		ON CONFLICT (target, event_id) DO NOTHING`, tenant, ep, url, signer, target, id, typ, key, ct, body, created)
	if err != nil {
		return fmt.Errorf("webhook outbox: %w", err)
	}
	return nil
}

// pendingCount caches an endpoint's backlog.
type pendingCount struct {
	n  int
	at time.Time
}

// backpressure waits while endpoint id is healthy and its backlog is
// past MaxPending. A failing endpoint's events are kept, to be retried
// for GiveUpAfter, without holding back other endpoints.
func (o *Outbox) backpressure(ctx context.Context, id string) error {
	for {
		n, healthy, err := o.backlog(ctx, id)
		if err != nil || n <= o.cfg.MaxPending || !healthy {
			return err
		}
		t := time.NewTimer(500 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (o *Outbox) backlog(ctx context.Context, id string) (int, bool, error) {
	if v, ok := o.pending.Load(id); ok && o.now().Sub(v.(pendingCount).at) < time.Second {
		return v.(pendingCount).n, true, nil
	}
	var n int
	var failing *time.Time
	err := o.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM (SELECT 1 FROM webhook_outbox WHERE endpoint_id = $1 AND state = 1 LIMIT $2) s),
		(SELECT failing_since FROM webhook_endpoints WHERE id = $1)`, id, o.cfg.MaxPending+1).Scan(&n, &failing)
	if err != nil {
		return 0, false, fmt.Errorf("webhook backlog: %w", err)
	}
	if failing != nil {
		return n, false, nil
	}
	o.pending.Store(id, pendingCount{n: n, at: o.now()})
	return n, true, nil
}
