package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/pipeline/kafkatest"
)

// submitCount counts records on the submit topic.
func submitCount(t *testing.T, cfg KafkaConfig) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := kafka.DialContext(ctx, "tcp", cfg.Brokers[0])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions(cfg.Topics.Submit)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, p := range parts {
		pc, err := kafka.DialLeader(ctx, "tcp", cfg.Brokers[0], cfg.Topics.Submit, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		first, last, err := pc.ReadOffsets()
		pc.Close()
		if err != nil {
			t.Fatal(err)
		}
		n += last - first
	}
	return n
}

func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 2}.WithDefaults()
	if err := EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	store := testStore(t)
	in, err := NewIntake(cfg, testIssuer(t), store)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	send := func(reqs ...Request) []Result {
		t.Helper()
		out := make([]Result, len(reqs))
		if err := in.Send(ctx, reqs, out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	order := Request{TenantID: "shop", To: "+14155552671", Body: "Order #4582 confirmed", IdempotencyKey: "order-4582"}

	first := send(order)[0]
	again := send(order)[0]
	if first.Err != nil || again.Err != nil || again.ID != first.ID {
		t.Fatalf("retry = %+v, first = %+v; want the same id", again, first)
	}
	other := Request{TenantID: "other-shop", To: order.To, Body: order.Body, IdempotencyKey: order.IdempotencyKey}
	if r := send(other)[0]; r.Err != nil || r.ID == first.ID {
		t.Fatalf("another tenant's same key = %+v; want its own message", r)
	}
	changed := order
	changed.Body = "Order #4582 cancelled"
	conflict := send(changed)[0]
	var fe *FieldError
	if !errors.Is(conflict.Err, ErrKeyConflict) || !errors.As(conflict.Err, &fe) || fe.Field != "idempotency_key" {
		t.Fatalf("different body = %v; want a key conflict naming idempotency_key", conflict.Err)
	}
	// The same key twice in one batch is one message.
	twice := Request{TenantID: "shop", To: "+14155552672", Body: "Your code is 1234", IdempotencyKey: "otp-1"}
	out := send(twice, twice)
	if out[0].Err != nil || out[0].ID != out[1].ID {
		t.Fatalf("same key in one batch = %+v", out)
	}
	// The same key twice in one batch for two messages: the first is sent,
	// the second conflicts.
	stock := Request{TenantID: "shop", To: "+14155552674", Body: "Back in stock", IdempotencyKey: "stock-1"}
	restock := stock
	restock.Body = "Back in stock: size 9"
	if out := send(stock, restock); out[0].Err != nil || !errors.Is(out[1].Err, ErrKeyConflict) {
		t.Fatalf("one key for two messages in one batch = %+v; want the first sent, the second a key conflict", out)
	}
	// A send time and a validity are part of the message.
	offer := Request{TenantID: "shop", To: "+14155552675", Body: "Weekend offer", IdempotencyKey: "offer-1",
		SendAt: time.Now().Add(time.Hour).Truncate(time.Second), Validity: 10 * time.Minute}
	sent := send(offer)[0]
	if r := send(offer)[0]; sent.Err != nil || r.Err != nil || r.ID != sent.ID {
		t.Fatalf("retried scheduled send = %+v, first = %+v; want the same id", r, sent)
	}
	later := offer
	later.SendAt = offer.SendAt.Add(time.Hour)
	if r := send(later)[0]; !errors.Is(r.Err, ErrKeyConflict) {
		t.Fatalf("same key, another send_at = %+v; want a key conflict", r)
	}
	shorter := offer
	shorter.Validity = 5 * time.Minute
	if r := send(shorter)[0]; !errors.Is(r.Err, ErrKeyConflict) {
		t.Fatalf("same key, another validity = %+v; want a key conflict", r)
	}
	if n := submitCount(t, cfg); n != 5 {
		t.Fatalf("%d records on the submit topic, want 5 (order, other tenant, otp, stock, offer)", n)
	}

	// A key claimed by a send that never reached Kafka is sent on retry,
	// under the claimed id.
	lost := Request{TenantID: "shop", To: "+14155552673", Body: "Shipped", IdempotencyKey: "ship-9"}
	c, _ := check(lost, phone.NewCache(10))
	claim := keyClaim{tenant: "shop", key: "ship-9", sha: requestSHA(c), id: "01LOSTLOSTLOSTLOSTLOSTLOSTAAAAAAAA", segments: 1, encoding: 1}
	if _, err := store.claimKeys(ctx, []keyClaim{claim}); err != nil {
		t.Fatal(err)
	}
	if r := send(lost)[0]; r.Err != nil || r.ID != claim.id {
		t.Fatalf("retry after a lost produce = %+v; want id %s", r, claim.id)
	}
	if n := submitCount(t, cfg); n != 6 {
		t.Fatalf("%d records, want 6", n)
	}
	if r := send(lost)[0]; r.ID != claim.id {
		t.Fatalf("second retry = %+v", r)
	}
	if n := submitCount(t, cfg); n != 6 {
		t.Fatalf("%d records after the key was marked queued, want 6", n)
	}
}

// TestSendRefusesControlCharactersPerItem: a batch whose items carry a
// NUL in their idempotency key or campaign, as a hostile client sends
// them, gets InvalidArgument for those items, naming the field, and the
// other items of the batch — keyed or not — are queued.
func TestSendRefusesControlCharactersPerItem(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 2}.WithDefaults()
	if err := EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	in, err := NewIntake(cfg, testIssuer(t), testStore(t))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	req := func(key, campaign string) Request {
		return Request{TenantID: "shop", To: "+14155552671", Body: "Order " + key + " shipped", IdempotencyKey: key, CampaignID: campaign}
	}
	reqs := []Request{
		req("order-1", "spring"),
		req("order-2\x00", "spring"),
		req("order-3", "spring\x00"),
		req("", "sale\x00"),
		req("order-5", "spring"),
		req("", "spring"),
	}
	want := []string{"", "idempotency_key", "campaign_id", "campaign_id", "", ""}
	out := make([]Result, len(reqs))
	if err := in.Send(ctx, reqs, out); err != nil {
		t.Fatal(err)
	}
	for i, r := range out {
		var fe *FieldError
		switch {
		case want[i] == "" && (r.Err != nil || r.ID == ""):
			t.Errorf("item %d: %+v, want queued", i, r)
		case want[i] != "" && (!errors.As(r.Err, &fe) || fe.Field != want[i] || !errors.Is(r.Err, ErrInvalid)):
			t.Errorf("item %d: %v, want a field error on %s", i, r.Err, want[i])
		}
	}
	if n := submitCount(t, cfg); n != 3 {
		t.Fatalf("%d records queued, want 3", n)
	}
}

// TestClaimKeysOneRefusedKeyFailsAlone: a claim the database refuses for
// its value gets its own error, ErrUnstorable; the claims beside it in
// the round trip are made.
func TestClaimKeysOneRefusedKeyFailsAlone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := testStore(t)
	claim := func(key string) keyClaim {
		return keyClaim{tenant: "shop", key: key, id: "id-" + key, segments: 1}
	}
	cs := []keyClaim{claim("a"), claim("b\x00"), claim("c"), claim("\xff")}
	got, err := s.claimKeys(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range got {
		refused := i == 1 || i == 3
		switch {
		case refused && !errors.Is(g.err, ErrUnstorable):
			t.Errorf("claim %d: %+v, want ErrUnstorable", i, g)
		case !refused && (g.err != nil || !g.fresh || g.id != cs[i].id):
			t.Errorf("claim %d: %+v, want it fresh", i, g)
		}
	}
	// Alone, a refused claim gets its error too.
	got, err = s.claimKeys(ctx, cs[1:2])
	if err != nil || !errors.Is(got[0].err, ErrUnstorable) {
		t.Fatalf("claim alone = %+v, %v; want ErrUnstorable", got, err)
	}
}
