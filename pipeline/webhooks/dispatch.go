package webhooks

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// lane delivers one endpoint's rows (or, endpoint "", the ad-hoc posts')
// with claimers loops, which share its Workers.
type lane struct {
	endpoint string
	kick     chan struct{}
	stop     context.CancelFunc
	sem      chan struct{}
}

// claimers is how many loops of a lane claim and post at once, so that
// one batch's posts overlap the next one's claim and record. Rows of an
// ordering key stay in order: a later one is not claimable while an
// earlier one is pending, leased or not.
const claimers = 4

// maxIdle is how long an idle lane waits at most between looks.
const maxIdle = 2 * time.Second

// Run delivers until ctx ends: one lane per enabled endpoint, each with
// up to Workers posts in flight, and one for ad-hoc posts. It also
// prunes the delivery log. Every instance may run it.
func (o *Outbox) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	o.startLane(ctx, &wg, "")
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var pruned time.Time
	for {
		if err := o.syncLanes(ctx, &wg); err != nil && ctx.Err() == nil {
			o.log.Warn("webhook lanes", "err", err)
		}
		if o.now().Sub(pruned) > time.Hour {
			if err := o.prune(ctx); err != nil && ctx.Err() == nil {
				o.log.Warn("prune webhook log", "err", err)
			}
			pruned = o.now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// syncLanes starts a lane for each enabled endpoint and stops those of
// endpoints gone or disabled.
func (o *Outbox) syncLanes(ctx context.Context, wg *sync.WaitGroup) error {
	snap, err := o.endpoints(ctx)
	if err != nil {
		return err
	}
	live := map[string]bool{"": true}
	for _, eps := range snap.tenants {
		for _, e := range eps {
			live[e.ID] = true
			o.startLane(ctx, wg, e.ID)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for id, l := range o.lanes {
		if !live[id] {
			l.stop()
			delete(o.lanes, id)
		}
	}
	return nil
}

func (o *Outbox) startLane(ctx context.Context, wg *sync.WaitGroup, id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.lanes[id]; ok {
		return
	}
	lctx, cancel := context.WithCancel(ctx)
	l := &lane{endpoint: id, kick: make(chan struct{}, claimers), stop: cancel, sem: make(chan struct{}, o.cfg.Workers)}
	o.lanes[id] = l
	for range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.runLane(lctx, l)
		}()
	}
}

// poke has endpoint id's lane look for rows now.
func (o *Outbox) poke(id string) {
	o.mu.Lock()
	l := o.lanes[id]
	o.mu.Unlock()
	for range claimers {
		if l == nil {
			return
		}
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

func (o *Outbox) runLane(ctx context.Context, l *lane) {
	idle := o.cfg.Poll
	for ctx.Err() == nil {
		n, err := o.deliverDue(ctx, l.endpoint, l.sem)
		if err != nil && ctx.Err() == nil {
			o.log.Warn("webhook deliveries", "endpoint", l.endpoint, "err", err)
		}
		if n > 0 && err == nil {
			idle = o.cfg.Poll
			continue
		}
		t := time.NewTimer(idle)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-l.kick:
			t.Stop()
			idle = o.cfg.Poll
		case <-t.C:
			idle = min(idle*2, maxIdle)
		}
	}
}

// claimed is an outbox row this instance holds.
type claimed struct {
	id                                     int64
	tenant, url, signer, event, typ, ctype string
	body                                   []byte
	attempts                               int
	created                                time.Time
}

// result is one post's outcome.
type result struct {
	ok      bool
	status  int
	err     string
	latency time.Duration
	at      time.Time
}

// DeliverDue posts the due rows of endpoint ("" the ad-hoc posts), up to
// Batch of them, Workers at a time, and records the outcomes. A row of
// an ordering key is due only once every earlier row of its key is
// done. It returns how many rows it claimed.
func (o *Outbox) DeliverDue(ctx context.Context, endpoint string) (int, error) {
	return o.deliverDue(ctx, endpoint, make(chan struct{}, o.cfg.Workers))
}

// deliverDue is DeliverDue with posts bounded by sem.
func (o *Outbox) deliverDue(ctx context.Context, endpoint string, sem chan struct{}) (int, error) {
	var url string
	var secrets []string
	if endpoint != "" {
		var enabled bool
		var err error
		if url, secrets, enabled, err = o.secrets(ctx, endpoint); err != nil || !enabled {
			return 0, err
		}
	}
	rows, err := o.claim(ctx, endpoint)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	res := make([]result, len(rows))
	var wg sync.WaitGroup
	for i, r := range rows {
		if endpoint == "" {
			url = r.url
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			res[i] = o.post(ctx, r, url, secrets)
		}()
	}
	wg.Wait()
	return len(rows), o.record(context.WithoutCancel(ctx), endpoint, rows, res)
}

func (o *Outbox) claim(ctx context.Context, endpoint string) ([]claimed, error) {
	cond := "o.endpoint_id = $4"
	if endpoint == "" {
		cond = "o.endpoint_id IS NULL AND $4 = ''"
	}
	now := o.now()
	q, err := o.pool.Query(ctx, `UPDATE webhook_outbox SET lease_until = $1 WHERE id IN (
			SELECT o.id FROM webhook_outbox o WHERE `+cond+` AND o.state = 1 AND o.next_attempt_at <= $2
				AND (o.lease_until IS NULL OR o.lease_until < $2)
				AND (o.ordering_key = '' OR NOT EXISTS (SELECT 1 FROM webhook_outbox p
					WHERE p.target = o.target AND p.ordering_key = o.ordering_key AND p.ordering_key <> '' AND p.state = 1 AND p.id < o.id))
			ORDER BY o.next_attempt_at, o.id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING id, tenant_id, url, signer, event_id, event_type, content_type, body, attempts, created_at`,
		now.Add(o.cfg.Lease), now, o.cfg.Batch, endpoint)
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	defer q.Close()
	var out []claimed
	for q.Next() {
		var c claimed
		if err := q.Scan(&c.id, &c.tenant, &c.url, &c.signer, &c.event, &c.typ, &c.ctype, &c.body, &c.attempts, &c.created); err != nil {
			return nil, fmt.Errorf("claim webhook deliveries: %w", err)
		}
		out = append(out, c)
	}
	return out, q.Err()
}

// post makes one attempt of r to url.
func (o *Outbox) post(ctx context.Context, r claimed, url string, secrets []string) result {
	now := o.now()
	if now.Sub(r.created) >= o.cfg.GiveUpAfter {
		return result{err: "given up: undelivered " + o.cfg.GiveUpAfter.String() + " after the event", at: now}
	}
	h := http.Header{}
	h.Set("Content-Type", r.ctype)
	h.Set("User-Agent", "tern-webhooks/1")
	h.Set("Tern-Event-Id", r.event)
	h.Set("Tern-Event-Type", r.typ)
	if len(secrets) > 0 {
		h.Set(SignatureHeader, Sign(now, r.body, secrets...))
	} else if s := o.signers[r.signer]; s != nil {
		if err := s.Sign(h, url, r.body, now); err != nil {
			return result{err: "sign: " + err.Error(), at: now}
		}
	}
	reply, err := o.client.Post(ctx, url, r.body, h)
	res := result{status: reply.Status, latency: reply.Latency, at: now}
	switch {
	case err != nil:
		res.err = err.Error()
	case reply.Status < 200 || reply.Status > 299:
		res.err = fmt.Sprintf("HTTP %d", reply.Status)
	default:
		res.ok = true
	}
	return res
}

// backoff is the wait before attempt n+1 (n ≥ 1): RetryBase doubled
// n-1 times, at most RetryMax, drawn uniformly from its upper half.
func (o *Outbox) backoff(n int) time.Duration {
	d := o.cfg.RetryBase
	for i := 1; i < n && d < o.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, o.cfg.RetryMax)
	return d/2 + rand.N(d/2+1)
}
