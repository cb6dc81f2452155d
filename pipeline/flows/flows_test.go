package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/flow"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

const (
	jane = "+14155552671" // the customer of the Shopify testdata
	bob  = "+14155552673"
)

// waitState waits until the run of flow for phone is in state.
func waitState(t *testing.T, ctx context.Context, en *Engine, flowID, phone, state string) Run {
	t.Helper()
	var r Run
	testkit.Eventually(t, 30*time.Second, func() error {
		var err error
		if r, err = runOf(ctx, en, "shop-1", flowID, phone); err != nil {
			return err
		}
		if r.State != state {
			return fmt.Errorf("run of %s for %s is %s, want %s", flowID, phone, r.State, state)
		}
		return nil
	})
	return r
}

// TestAbandonedCheckout: a Shopify checkouts/create with no order after
// it gives one reminder once the wait is over; one followed by
// orders/create gives none; an update of the checkout starts no second
// series.
func TestAbandonedCheckout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	en := e.engine(t, ctx)
	start(t, ctx, en)
	enable(t, ctx, en, "shop-1", flow.AbandonedCheckout, flow.OrderConfirmation)

	e.shopify(t, ctx, "shop-1", "w1", "checkouts/create", "checkouts_create.json", nil)
	ofBob := func(ev *commerce.Event) { ev.CheckoutID, ev.Customer.Phone, ev.Customer.SMSMarketing = "cB", bob, 0 }
	e.shopify(t, ctx, "shop-1", "w2", "checkouts/create", "checkouts_create.json", ofBob)
	e.shopify(t, ctx, "shop-1", "w3", "orders/create", "orders_create.json", func(ev *commerce.Event) { ofBob(ev); ev.OrderID = "oB" })
	waitState(t, ctx, en, flow.AbandonedCheckout, jane, "waiting")
	exited := waitState(t, ctx, en, flow.AbandonedCheckout, bob, "exited")
	if !strings.Contains(exited.ExitReason, "an order was placed (order_created shopify:w3)") {
		t.Fatalf("exit reason %q", exited.ExitReason)
	}
	if got := to(e.submitted(t, ctx), flow.AbandonedCheckout, jane); len(got) != 0 {
		t.Fatalf("reminder before the wait is over: %v", got)
	}

	e.clock.forward(61 * time.Minute)
	var msgs []string
	testkit.Eventually(t, 30*time.Second, func() error {
		got := to(e.submitted(t, ctx), flow.AbandonedCheckout, jane)
		if len(got) != 1 {
			return fmt.Errorf("%d reminders to jane", len(got))
		}
		msgs = []string{got[0].Body}
		if got[0].Category != ternv1.Category_CATEGORY_MARKETING || got[0].CampaignId != "flow/abandoned_checkout" {
			return fmt.Errorf("reminder %+v", got[0])
		}
		return nil
	})
	if !strings.Contains(msgs[0], "Complete your order: https://checkout.example-shop.com/548380009/checkouts/") || !strings.HasPrefix(msgs[0], "shop-1: Jane,") {
		t.Fatalf("reminder text %q", msgs[0])
	}
	r := waitState(t, ctx, en, flow.AbandonedCheckout, jane, "completed")
	if outcomes(r) != "started waiting sent completed" || r.Log[2].MessageID == "" {
		t.Fatalf("log of jane's run: %+v", r.Log)
	}
	// The checkout changes after the series: no second series. Handled
	// directly, so that nothing is in flight when the runs are counted.
	upd := commerce.Event{ID: "shopify:w4", Tenant: "shop-1", Type: commerce.CheckoutUpdated, CheckoutID: "981820079255243537",
		Customer: commerce.Customer{Phone: jane}, OccurredAt: e.clock.now()}
	if err := en.Handle(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if _, err := runOf(ctx, en, "shop-1", flow.AbandonedCheckout, jane); err != nil {
		t.Fatal(err)
	}
	e.clock.forward(2 * time.Hour)
	if _, err := en.AdvanceDue(ctx); err != nil {
		t.Fatal(err)
	}
	all := e.submitted(t, ctx)
	if n, b := len(to(all, flow.AbandonedCheckout, jane)), len(to(all, flow.AbandonedCheckout, bob)); n != 1 || b != 0 {
		t.Fatalf("reminders: jane %d, bob %d", n, b)
	}
	if len(to(all, flow.OrderConfirmation, bob)) != 1 {
		t.Fatal("bob's order not confirmed")
	}
	// Both ends are on the runs topic, for webhooks.
	testkit.Eventually(t, 30*time.Second, func() error {
		got := map[string]string{}
		for _, x := range e.ended(t, ctx) {
			if x.FlowId == flow.AbandonedCheckout {
				got[x.CustomerPhone] = x.State + " " + x.Reason
			}
		}
		if got[jane] != "completed " || !strings.HasPrefix(got[bob], "exited an order was placed") {
			return fmt.Errorf("run ends: %v", got)
		}
		return nil
	})
}

func outcomes(r Run) string {
	var s []string
	for _, x := range r.Log {
		s = append(s, x.Outcome)
	}
	return strings.Join(s, " ")
}

// TestOrderToReview: order → confirmation; fulfillment with tracking →
// the link; out for delivery and delivered → a message each; delivered
// → a review request 7 days later at 10:00 local. The engine restarts
// during the wait; nothing changes.
func TestOrderToReview(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	en := e.engine(t, ctx)
	stop := start(t, ctx, en)
	enable(t, ctx, en, "shop-1", flow.OrderConfirmation, flow.ShippingUpdate, flow.DeliveryUpdates, flow.ReviewRequest)

	e.shopify(t, ctx, "shop-1", "o1", "orders/create", "orders_create.json", nil)
	e.shopify(t, ctx, "shop-1", "f1", "fulfillments/create", "fulfillments_create.json", nil)
	e.shopify(t, ctx, "shop-1", "f2", "fulfillments/update", "fulfillments_update_out_for_delivery.json", nil)
	e.shopify(t, ctx, "shop-1", "f3", "fulfillments/update", "fulfillments_update_delivered.json", nil)
	e.shopify(t, ctx, "shop-1", "f3", "fulfillments/update", "fulfillments_update_delivered.json", nil) // redelivered
	want := map[string]string{
		flow.OrderConfirmation: "Order #1001 is confirmed. https://example-shop.com/548380009/orders/123456abcd/authenticate?key=abcdefg",
		flow.ShippingUpdate:    "Track it: https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z2345",
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		all := e.submitted(t, ctx)
		for f, text := range want {
			if got := to(all, f, jane); len(got) != 1 || !strings.Contains(got[0].Body, text) || got[0].Category != ternv1.Category_CATEGORY_TRANSACTIONAL {
				return fmt.Errorf("%s: %v", f, got)
			}
		}
		if got := to(all, flow.DeliveryUpdates, jane); len(got) != 2 || !strings.Contains(got[0].Body+got[1].Body, "out for delivery") ||
			!strings.Contains(got[0].Body+got[1].Body, "has been delivered") {
			return fmt.Errorf("delivery updates: %v", got)
		}
		return nil
	})
	r := waitState(t, ctx, en, flow.ReviewRequest, jane, "waiting")
	if r.NextStep != "send_time" || r.Subject != "order 820982911946154508" {
		t.Fatalf("review run: %+v", r)
	}

	// Restart: this instance goes, another comes.
	stop()
	en.Close()
	en2 := e.engine(t, ctx)
	start(t, ctx, en2)
	if got := to(e.submitted(t, ctx), flow.ReviewRequest, jane); len(got) != 0 {
		t.Fatalf("review request before its time: %v", got)
	}
	// The test's wait is a second; then 10:00 in San Francisco.
	testkit.Eventually(t, 30*time.Second, func() error {
		r, err := runOf(ctx, en2, "shop-1", flow.ReviewRequest, jane)
		if err == nil && r.NextStep != "has_link" {
			err = fmt.Errorf("review run waits for %s", r.NextStep)
		}
		return err
	})
	e.clock.forward(25 * time.Hour)
	testkit.Eventually(t, 30*time.Second, func() error {
		got := to(e.submitted(t, ctx), flow.ReviewRequest, jane)
		if len(got) != 1 || !strings.Contains(got[0].Body, "how is your Aviator sunglasses, Jane? Tell us: https://example-shop.com/") ||
			got[0].Category != ternv1.Category_CATEGORY_MARKETING {
			return fmt.Errorf("review requests: %v", got)
		}
		return nil
	})
	r = waitState(t, ctx, en2, flow.ReviewRequest, jane, "completed")
	if outcomes(r) != "started waiting waiting branched sent completed" || !strings.Contains(r.Log[2].Detail, "10:00 in America/Los_Angeles") {
		t.Fatalf("review run log: %+v", r.Log)
	}
	for _, f := range []string{flow.OrderConfirmation, flow.ShippingUpdate, flow.ReviewRequest} {
		if n := len(to(e.submitted(t, ctx), f, jane)); n != 1 {
			t.Fatalf("%s sent %d times", f, n)
		}
	}
}

// TestRunLog: why a step was skipped and why a run exited.
func TestRunLog(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	en := e.engine(t, ctx)
	enable(t, ctx, en, "shop-1", flow.PaymentRecovery)
	failed := commerce.Event{ID: "api:p1", Tenant: "shop-1", Type: commerce.PaymentFailed, OrderID: "o1", OrderName: "#7",
		Customer: commerce.Customer{Phone: bob}, OccurredAt: e.clock.now()}
	if err := en.Handle(ctx, failed); err != nil {
		t.Fatal(err)
	}
	if _, err := en.AdvanceDue(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := runOf(ctx, en, "shop-1", flow.PaymentRecovery, bob)
	if err != nil || r.State != "waiting" || outcomes(r) != "started skipped waiting" || !strings.Contains(r.Log[1].Detail, `variable "payment_url"`) {
		t.Fatalf("run %+v, %v", r, err)
	}
	paid := commerce.Event{ID: "api:p2", Tenant: "shop-1", Type: commerce.OrderPaid, OrderID: "o1", OccurredAt: e.clock.now()}
	if err := en.Handle(ctx, paid); err != nil {
		t.Fatal(err)
	}
	r, _ = runOf(ctx, en, "shop-1", flow.PaymentRecovery, bob)
	if r.State != "exited" || r.ExitReason != "the order was paid (order_paid api:p2)" || outcomes(r) != "started skipped waiting exited" {
		t.Fatalf("after payment: %+v", r)
	}
	// No phone: the run is recorded as exited, with the reason.
	nophone := commerce.Event{ID: "api:p3", Tenant: "shop-1", Type: commerce.PaymentFailed, OrderID: "o2", Customer: commerce.Customer{ContactID: "c-9"}}
	if err := en.Handle(ctx, nophone); err != nil {
		t.Fatal(err)
	}
	runs, _, err := en.Runs(ctx, "shop-1", Filter{}, 1, "")
	if err != nil || len(runs) != 1 || runs[0].ExitReason != ErrNoPhone.Error() {
		t.Fatalf("run without phone: %+v, %v", runs, err)
	}
	if _, _, err := en.Runs(ctx, "shop-1", Filter{}, 1, "x1"); !errors.Is(err, ErrBadToken) {
		t.Fatalf("bad token: %v", err)
	}
	page, next, err := en.Runs(ctx, "shop-1", Filter{}, 1, "")
	if page2, _, err2 := en.Runs(ctx, "shop-1", Filter{}, 1, next); err != nil || err2 != nil || len(page2) != 1 || page2[0].ID >= page[0].ID {
		t.Fatalf("paging: %v %v %v %v", page, page2, err, err2)
	}
}
