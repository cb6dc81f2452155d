package storeevents

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/ternsms/tern/core/commerce"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/stream"
)

// TestConsentSync takes Shopify's customers/create and customers/update
// payloads through the topic into the consent ledger.
func TestConsentSync(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	tr := e.tracker(t, ctx)
	topic := consentlog.TopicConfig{Brokers: e.cfg.Brokers, Topic: "tern.suppressions"}
	if err := stream.EnsureTopic(ctx, topic.Brokers, stream.Topic{Name: topic.Topic, Partitions: 2, Compact: true}); err != nil {
		t.Fatal(err)
	}
	ledger, err := consentlog.Open(ctx, e.url, consentlog.NewHasher([]byte("store-test")), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	sync := NewConsentSync(e.cfg, "", ledger, nil)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { sync.Run(rctx); close(done) }()
	defer func() { stop(); <-done }()

	track := func(id, topic, file string) {
		t.Helper()
		ev, ok, err := commerce.ParseShopify(topic, readPayload(t, file))
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		ev.ID, ev.Tenant = id, "shop-1"
		out := make([]Result, 1)
		if err := tr.Track(ctx, []commerce.Event{ev}, out); err != nil || out[0].Err != nil {
			t.Fatal(err, out[0].Err)
		}
	}
	const bob = "+14155552672"
	track("shopify:c1", "customers/create", "customers_create.json")
	testkit.Eventually(t, 30*time.Second, func() error {
		if st, err := ledger.State(ctx, "shop-1", bob); err != nil || !st.Marketing {
			return errors.New("marketing consent not recorded yet")
		}
		return nil
	})
	track("shopify:c2", "customers/update", "customers_update.json")
	testkit.Eventually(t, 30*time.Second, func() error {
		if st, err := ledger.State(ctx, "shop-1", bob); err != nil || !st.OptedOut {
			return errors.New("unsubscribe not recorded yet")
		}
		return nil
	})
	evs, err := ledger.Events(ctx, "shop-1", bob)
	if err != nil || len(evs) != 2 || evs[0].Method != consentlog.MethodImport || evs[0].Source != "shopify other" {
		t.Fatalf("ledger: %+v, %v", evs, err)
	}
	// The same events again, as a redelivery under new ids would not be:
	// handled directly, they record nothing new.
	ev, _, _ := commerce.ParseShopify("customers/create", readPayload(t, "customers_create.json"))
	ev.ID, ev.Tenant = "shopify:c1", "shop-1"
	if err := sync.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if again, _ := ledger.Events(ctx, "shop-1", bob); len(again) != 2 {
		t.Fatalf("redelivered event recorded again: %d events", len(again))
	}
}
