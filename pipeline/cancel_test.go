package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// TestCancel withdraws a message waiting for its send_at and one still on
// the submit topic; neither reaches the carrier, both end CANCELED at once.
// A message a carrier accepted, one of another tenant and one too old to
// tell cannot be withdrawn.
func TestCancel(t *testing.T) {
	t.Parallel()
	p := startPipeline(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1, ReceiptDelay: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	issuer := testIssuer(t)
	c := NewCanceler(p.store, time.Hour)
	created := func(tenant, id string) time.Time {
		t.Helper()
		at, err := issuer.Check(tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}

	out := make([]Result, 2)
	if err := p.intake.Send(ctx, []Request{
		{TenantID: "shop", To: "+14155552681", Body: "Still thinking about your cart?", SendAt: time.Now().Add(time.Hour)},
		{TenantID: "shop", To: "+14155552682", Body: "Your order has shipped"},
	}, out); err != nil || out[0].Err != nil || out[1].Err != nil {
		t.Fatalf("send: %v %+v", err, out)
	}
	scheduled, sent := out[0].ID, out[1].ID
	p.events(ctx, t, func(m map[string][]*recordv1.Event) bool {
		return len(m[scheduled]) > 0 && finalOf(m[sent]) != nil
	})

	if err := c.Cancel(ctx, "shop", scheduled, created("shop", scheduled)); err != nil {
		t.Fatalf("cancel the scheduled message: %v", err)
	}
	if err := c.Cancel(ctx, "shop", scheduled, created("shop", scheduled)); err != nil {
		t.Fatalf("cancel it again: %v", err)
	}
	if err := c.Cancel(ctx, "shop", sent, created("shop", sent)); !errors.Is(err, ErrNotCancelable) {
		t.Fatalf("cancel a delivered message: %v, want ErrNotCancelable", err)
	}
	other := issuer.New("other", time.Now())
	if err := c.Cancel(ctx, "other", scheduled, created("shop", scheduled)); !errors.Is(err, ErrForeignMessage) {
		t.Fatalf("cancel another tenant's message: %v, want ErrForeignMessage", err)
	}
	if err := c.Cancel(ctx, "other", other, time.Now().Add(-2*time.Hour)); !errors.Is(err, ErrNotCancelable) {
		t.Fatalf("cancel a message older than the ledger keeps: %v, want ErrNotCancelable", err)
	}

	// Withdrawn before its record was read: the actor finds it canceled.
	queued := &recordv1.Submit{Id: issuer.New("shop", time.Now()), TenantId: "shop", To: "+14155552683", Body: "Your code is 123456", Region: "US"}
	if err := c.Cancel(ctx, "shop", queued.Id, created("shop", queued.Id)); err != nil {
		t.Fatalf("cancel a queued message: %v", err)
	}
	value, _ := proto.Marshal(queued)
	w := &kafka.Writer{Addr: kafka.TCP(p.cfg.Brokers...), Topic: p.cfg.Topics.Submit, RequiredAcks: kafka.RequireAll}
	if err := w.WriteMessages(ctx, kafka.Message{Key: []byte(queued.To), Value: value}); err != nil {
		t.Fatal(err)
	}
	w.Close()

	// Refused by a carrier for now, waiting an hour for its retry.
	retry := &recordv1.Submit{Id: issuer.New("shop", time.Now()), TenantId: "shop", To: "+14155552684", Body: "Back in stock", Region: "US", Attempts: 1}
	retry = withNotBefore(retry, time.Now().Add(time.Hour), 1)
	if _, err := p.store.pool.Exec(ctx, `INSERT INTO deliveries (message_id, tenant_id, campaign_id, recipient, region, category, encoding, carrier, state)
		VALUES ($1, 'shop', '', $2, 'US', 1, 0, 'sim', 0)`, retry.Id, retry.To); err != nil {
		t.Fatal(err)
	}
	if _, err := p.store.execDefer(ctx, []deferral{{rec: retry, due: retry.NotBefore.AsTime(), reason: deferRetry}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Cancel(ctx, "shop", retry.Id, created("shop", retry.Id)); err != nil {
		t.Fatalf("cancel a message waiting for its retry: %v", err)
	}

	// Within the test's minute, though two were due in an hour.
	evs := p.events(ctx, t, func(m map[string][]*recordv1.Event) bool {
		return finalOf(m[scheduled]) != nil && finalOf(m[queued.Id]) != nil && finalOf(m[retry.Id]) != nil
	})
	for _, id := range []string{scheduled, queued.Id, retry.Id} {
		f := finalOf(evs[id])
		if core.Status(f.Status) != core.StatusCanceled || f.Reason != reasonCanceled {
			t.Errorf("%s final %v, want canceled", id, f)
		}
	}
	if n := p.sim.Submits("+14155552681", "Still thinking about your cart?") + p.sim.Submits("+14155552683", "Your code is 123456") + p.sim.Submits("+14155552684", "Back in stock"); n != 0 {
		t.Errorf("%d canceled messages reached the carrier", n)
	}
	if n, err := p.store.Scheduled(ctx); err != nil || n[deferSendAt]+n[deferRetry] != 0 {
		t.Errorf("still scheduled: %v, %v", n, err)
	}
}

// TestCancelRacesDeferral cancels messages while their actor puts them
// aside for an hour, each pair started together: whichever commits first,
// no canceled message may keep its hour, or its canceled event would come
// only then.
func TestCancelRacesDeferral(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	issuer := testIssuer(t)
	c := NewCanceler(s, time.Hour)

	const pairs, inFlight = 300, 8
	sem := make(chan struct{}, inFlight)
	errs := make(chan error, 2*pairs)
	var wg sync.WaitGroup
	for i := range pairs {
		sem <- struct{}{}
		id := issuer.New("shop", time.Now())
		rec := withNotBefore(&recordv1.Submit{Id: id, TenantId: "shop", To: fmt.Sprintf("+1415555%04d", i), Body: "Still thinking about your cart?", Region: "US"}, time.Now().Add(time.Hour), 0)
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			if _, err := s.execDefer(ctx, []deferral{{rec: rec, due: rec.NotBefore.AsTime(), reason: deferSendAt}}); err != nil {
				errs <- fmt.Errorf("defer %s: %w", id, err)
			}
		}()
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			<-start
			if err := c.Cancel(ctx, "shop", id, time.Now()); err != nil {
				errs <- err
			}
		}()
		close(start)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var late int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM schedules WHERE due_at > now()").Scan(&late); err != nil {
		t.Fatal(err)
	}
	if late > 0 {
		t.Errorf("%d of %d canceled messages still wait for their hour", late, pairs)
	}
}
