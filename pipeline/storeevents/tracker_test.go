package storeevents

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ternsms/tern/core/commerce"
)

func TestTrack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	tr := e.tracker(t, ctx)
	order := commerce.Event{Tenant: "shop-1", ID: "shopify:w1", Type: commerce.OrderCreated, OrderID: "1001", Source: "shopify",
		Customer: commerce.Customer{Phone: "+14155552671", FirstName: "Jane"}, Amount: 179_980_000, Currency: "usd",
		Items: []commerce.Item{{VariantID: "v1", Quantity: 2}}}
	bad := order
	bad.ID, bad.OrderID = "shopify:w2", ""
	other := order
	other.ID, other.Tenant = "shopify:w1", "shop-2" // the same id in another tenant is another event
	noID := order
	noID.ID, noID.Source = "", "api"
	events := []commerce.Event{order, bad, order, other, noID}
	out := make([]Result, len(events))
	if err := tr.Track(ctx, events, out); err != nil {
		t.Fatal(err)
	}
	var fe *commerce.FieldError
	switch {
	case out[0].Err != nil || out[0].Duplicate || out[0].ID != "shopify:w1":
		t.Fatalf("first: %+v", out[0])
	case !errors.As(out[1].Err, &fe) || fe.Field != "order_id":
		t.Fatalf("bad event: %+v", out[1])
	case !out[2].Duplicate || out[2].Err != nil:
		t.Fatalf("repeat in the batch: %+v", out[2])
	case out[3].Err != nil || out[3].Duplicate:
		t.Fatalf("other tenant: %+v", out[3])
	case out[4].Err != nil || len(out[4].ID) != len("api:")+32:
		t.Fatalf("event without id: %+v", out[4])
	}
	recs := e.records(t, ctx)
	if len(recs) != 3 {
		t.Fatalf("%d records on the topic, want 3", len(recs))
	}
	got, received, err := Decode(recs[0].Value)
	if err != nil || string(recs[0].Key) != got.Tenant+"/phone:+14155552671" || got.Currency != "USD" || got.Amount != 179_980_000 ||
		got.Customer.FirstName != "Jane" || len(got.Items) != 1 || got.OccurredAt.IsZero() || received.IsZero() {
		t.Fatalf("record %q: %+v, %v", recs[0].Key, got, err)
	}

	// A redelivery is a duplicate and produces nothing.
	if err := tr.Track(ctx, []commerce.Event{order}, out[:1]); err != nil || !out[0].Duplicate {
		t.Fatalf("redelivery: %+v, %v", out[0], err)
	}
	// An id claimed but never produced (a crash between) is produced by
	// the next delivery.
	if _, err := tr.pool.Exec(ctx, `INSERT INTO store_event_ids (tenant_id, event_id) VALUES ('shop-1', 'shopify:w9')`); err != nil {
		t.Fatal(err)
	}
	lost := order
	lost.ID = "shopify:w9"
	if err := tr.Track(ctx, []commerce.Event{lost}, out[:1]); err != nil || out[0].Duplicate || out[0].Err != nil {
		t.Fatalf("unproduced claim: %+v, %v", out[0], err)
	}
	if n := len(e.records(t, ctx)); n != 4 {
		t.Fatalf("%d records after the redeliveries, want 4", n)
	}
	if n, err := tr.Prune(ctx, time.Now().Add(time.Hour)); err != nil || n != 4 {
		t.Fatalf("Prune = %d, %v; want the 4 ids", n, err)
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	tr := e.tracker(t, ctx)
	if _, err := tr.Secrets(ctx, "shop-1", Shopify); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("no secret yet: %v", err)
	}
	steps := []struct {
		secret string
		keep   bool
		want   []string
	}{
		{"first-secret", false, []string{"first-secret"}},
		{"second-secret", true, []string{"second-secret", "first-secret"}},
		{"second-secret", true, []string{"second-secret"}}, // the same again keeps no copy of itself
		{"third-secret", false, []string{"third-secret"}},
	}
	for _, s := range steps {
		if err := tr.SetSecret(ctx, "shop-1", Shopify, s.secret, s.keep); err != nil {
			t.Fatal(err)
		}
		got, err := tr.Secrets(ctx, "shop-1", Shopify)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Fatalf("after %s keep %v: %v, %v; want %v", s.secret, s.keep, got, err, s.want)
		}
	}
	if _, err := tr.Secrets(ctx, "shop-1", WooCommerce); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("woocommerce secret: %v", err)
	}
	for _, bad := range []struct{ platform, secret, field string }{
		{"magento", "long-enough", "platform"}, {Shopify, "short", "secret"}, {Shopify, " padded-secret", "secret"},
	} {
		var fe *FieldError
		if err := tr.SetSecret(ctx, "shop-1", bad.platform, bad.secret, false); !errors.As(err, &fe) || fe.Field != bad.field {
			t.Errorf("SetSecret(%s, %q) = %v, want a FieldError naming %s", bad.platform, bad.secret, err, bad.field)
		}
	}
}
