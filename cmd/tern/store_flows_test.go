package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline/kafkatest"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// The fixtures' ids, and the texts the test's templates make of them.
const (
	checkoutID  = "981820079255243537"
	orderID     = "820982911946154508"
	checkoutURL = "https://checkout.example-shop.com/548380009/checkouts/8f1d3c7b1e8a4e0f9b2a1c5d6e7f8091/recover?key=example-secret-token"
	orderURL    = "https://example-shop.com/548380009/orders/123456abcd/authenticate?key=abcdefg"
	trackingURL = "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z2345"

	reminderText     = "Acme: finish your order " + checkoutURL + " Reply STOP to opt out."
	confirmationText = "Acme: order #1001 confirmed"
	shippedText      = "Acme: shipped, track it: " + trackingURL
	deliveredText    = "Acme: delivered"
	reviewText       = "Acme: review us at " + orderURL + " Reply STOP to opt out."
)

var storeTemplates = map[string]map[string]string{
	"abandoned_checkout": {"reminder": "{{shop_name}}: finish your order {{checkout_url}} Reply STOP to opt out."},
	"order_confirmation": {"confirmation": "{{shop_name}}: order {{order_name}} confirmed"},
	"shipping_update":    {"shipped_tracking": "{{shop_name}}: shipped, track it: {{tracking_url}}"},
	"delivery_updates":   {"delivered": "{{shop_name}}: delivered"},
	"review_request":     {"review": "{{shop_name}}: review us at {{review_url}} Reply STOP to opt out."},
}

// The store's customers, one per case.
const (
	abandoner = "+14155552681" // a checkout, no order
	buyer     = "+14155552682" // a checkout, then its order, shipped and delivered
	forged    = "+14155552683" // a checkout with a bad signature
	restarted = "+14155552684" // a checkout, tern restarted during the wait
	replayed  = "+14155552685" // a new body under a webhook id taken in before
	wooBuyer  = "+14155552673" // a WooCommerce order
)

// checkout is the fixture checkout of the customer whose number ends in
// last4, with a checkout id of its own.
func checkout(t *testing.T, last4 string) []byte {
	return fixture(t, "checkouts_create", append(shopper(last4), checkoutID, "98182007925524"+last4)...)
}

// Shopify webhooks into the real binary drive the flows: an abandoned
// checkout gets one reminder after the wait (also across a restart
// during it), one followed by its order gets none, a bad signature and
// a redelivered webhook id change nothing, an order is confirmed, its
// shipment's tracking link texted, a WooCommerce order confirmed too, its delivery told and a review asked
// for after the (shortened) wait; and the order that follows a campaign
// message is credited to the campaign.
func TestStoreFlows(t *testing.T) {
	t.Parallel()
	c, adminKey := storeCluster(t, "--flow-abandoned-cart-wait", "15s",
		"--flow-delay", "review_request.wait=2s", "--flow-delay", "review_request.send_time=2s")
	a := c.start("a")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	s := newShop(t, a.api, c.key, adminKey)
	s.enable(ctx, storeTemplates)

	s.deliver(ctx, "checkouts/create", "w-abandoner", checkout(t, "2681"))
	s.deliver(ctx, "checkouts/create", "w-buyer-checkout", checkout(t, "2682"))
	s.deliver(ctx, "orders/create", "w-buyer-order", fixture(t, "orders_create", append(shopper("2682"), checkoutID, "98182007925524"+"2682")...))
	if code, answer := s.post(ctx, "checkouts/create", "w-forged", checkout(t, "2683"), "not the shop's secret"); code != http.StatusUnauthorized {
		t.Errorf("a checkout signed with another secret: %d %s, want 401", code, answer)
	}
	if code, answer := s.post(ctx, "checkouts/create", "w-abandoner", checkout(t, "2685"), shopSecret); code != http.StatusOK || !strings.Contains(answer, "duplicate") {
		t.Errorf("a webhook id taken in before: %d %s, want 200 duplicate", code, answer)
	}
	s.deliver(ctx, "checkouts/create", "w-restarted", checkout(t, "2684"))
	if code, answer := s.post(ctx, "orders/create", "w-malformed", []byte(`{"id": 1, "line_items": [`), shopSecret); code != http.StatusBadRequest ||
		!strings.Contains(answer, "malformed JSON") {
		t.Errorf("malformed JSON: %d %s, want 400 with the reason", code, answer)
	}
	if code, answer := s.postWoo(ctx, "order.created", "9001", fixture(t, "../woocommerce/order_created"), shopSecret); code != http.StatusOK ||
		!strings.Contains(answer, "woocommerce:9001") {
		t.Errorf("a WooCommerce order: %d %s, want 200 with its event id", code, answer)
	}

	s.waitRun(ctx, "abandoned_checkout", restarted, ternv1.FlowRunState_FLOW_RUN_STATE_WAITING)
	a.kill()
	b := c.start("b")
	s = newShop(t, b.api, c.key, adminKey)

	sentOnce(t, c.sim, buyer, confirmationText)
	sentOnce(t, c.sim, wooBuyer, "Acme: order #727 confirmed")
	s.waitRun(ctx, "abandoned_checkout", buyer, ternv1.FlowRunState_FLOW_RUN_STATE_EXITED)
	sentOnce(t, c.sim, abandoner, reminderText)
	sentOnce(t, c.sim, restarted, reminderText)
	s.waitRun(ctx, "abandoned_checkout", abandoner, ternv1.FlowRunState_FLOW_RUN_STATE_COMPLETED)
	s.waitRun(ctx, "abandoned_checkout", restarted, ternv1.FlowRunState_FLOW_RUN_STATE_COMPLETED)
	for _, to := range []string{buyer, forged, replayed} {
		if n := c.sim.Submits(to, reminderText); n != 0 {
			t.Errorf("%s got the reminder %d times, want none", to, n)
		}
	}
	for _, to := range []string{forged, replayed} {
		if runs := s.runs(ctx, "", to); len(runs) != 0 {
			t.Errorf("%s has runs %v, want none", to, runs)
		}
	}

	t.Run("shipped and delivered", func(t *testing.T) {
		s.t = t
		s.deliver(ctx, "fulfillments/create", "w-buyer-shipped", fixture(t, "fulfillments_create", shopper("2682")...))
		sentOnce(t, c.sim, buyer, shippedText)
		s.deliver(ctx, "fulfillments/update", "w-buyer-delivered", fixture(t, "fulfillments_update_delivered", shopper("2682")...))
		sentOnce(t, c.sim, buyer, deliveredText)
		sentOnce(t, c.sim, buyer, reviewText)
	})
	t.Run("attribution", func(t *testing.T) {
		s.t = t
		testAttribution(t, ctx, c, s, b)
	})
}

// testAttribution: a campaign's marketing message to the buyer, a click
// of its tracked link, another campaign's message, then an order of
// theirs: the order is credited to the clicked campaign on the
// attributions topic. The click is the record the link service writes
// on tern.clicks.
func testAttribution(t *testing.T, ctx context.Context, c *cluster, s *shop, in *instance) {
	const text = "Acme: spring sale, 20% off everything. Reply STOP to opt out."
	msgs := ternv1connect.NewMessageServiceClient(h2c(), "http://"+in.api, bearer(c.key))
	sent, err := msgs.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: buyer, Body: text, CampaignId: "spring-sale",
		Category: ternv1.Category_CATEGORY_MARKETING}))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	sentOnce(t, c.sim, buyer, text)
	testkit.Eventually(t, time.Minute, func() error { // the customer has the message when they click
		got, err := msgs.GetMessage(ctx, connect.NewRequest(&ternv1.GetMessageRequest{Id: sent.Msg.Id}))
		if err != nil {
			return err
		}
		if s := got.Msg.Message.Status; s != ternv1.Status_STATUS_DELIVERED {
			return fmt.Errorf("message %s is %v", sent.Msg.Id, s)
		}
		return nil
	})
	clickLink(t, ctx, c.brokers, sent.Msg.Id, "spring-sale")
	later := "Acme: new arrivals are in. Reply STOP to opt out."
	if _, err := msgs.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: buyer, Body: later, CampaignId: "new-arrivals",
		Category: ternv1.Category_CATEGORY_MARKETING})); err != nil {
		t.Fatalf("Send: %v", err)
	}
	sentOnce(t, c.sim, buyer, later)
	// Shopify's times are in whole seconds: the order comes a second after
	// the message, at the earliest.
	now := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)
	order := fixture(t, "orders_create", append(shopper("2682"), orderID, "820982911946150002", checkoutID, "981820079255249999",
		`"name": "#1001"`, `"name": "#1002"`, "2026-03-02T10:40:05-05:00", now, "2026-03-02T10:40:06-05:00", now)...)
	s.deliver(ctx, "orders/create", "w-buyer-second-order", order)
	testkit.Eventually(t, 2*time.Minute, func() error {
		for _, r := range kafkatest.ReadAll(t, []string{c.brokers}, "tern.attributions") {
			var a recordv1.Attribution
			if err := proto.Unmarshal(r.Value, &a); err != nil {
				return err
			}
			if a.OrderId != "820982911946150002" {
				continue
			}
			if a.TenantId != "shop" || a.Model != "click" || a.CampaignId != "spring-sale" || a.MessageId != sent.Msg.Id || a.AmountMicros <= 0 {
				return fmt.Errorf("order #1002 credited as %v, want to the click of campaign spring-sale's message %s", &a, sent.Msg.Id)
			}
			return nil
		}
		return fmt.Errorf("order #1002 not credited yet; %s", dumpAttribution(ctx, c.pgURL))
	})
}

// dumpAttribution lists the attributor's touches and orders, for a
// failure's message.
func dumpAttribution(ctx context.Context, url string) string {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err.Error()
	}
	defer conn.Close(ctx)
	var b strings.Builder
	for _, q := range []string{`SELECT phone, kind, message_id, campaign_id, flow_id, at::text FROM attribution_touches`,
		`SELECT order_id, phone, ordered_at::text, due_at::text, model, campaign_id, published::text, '' FROM attribution_orders`} {
		rows, _ := conn.Query(ctx, q)
		for rows.Next() {
			v, _ := rows.Values()
			fmt.Fprintln(&b, v...)
		}
		rows.Close()
	}
	return b.String()
}

// clickLink writes the click of message's tracked link to tern.clicks,
// as the link service does when the customer opens it.
func clickLink(t *testing.T, ctx context.Context, brokers, message, campaign string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	v, _ := proto.Marshal(&recordv1.Click{TenantId: "shop", CampaignId: campaign, MessageId: message, Code: "k3Yq9",
		Url: "https://shop.example.com/spring", ClickedAt: timestamppb.Now(), UserAgent: "Mozilla/5.0"})
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "tern.clicks", Key: []byte("k3Yq9"), Value: v}).FirstErr(); err != nil {
		t.Fatal(err)
	}
}
