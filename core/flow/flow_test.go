package flow

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/quiet"
)

var sample = commerce.Event{ID: "shopify:w1", Tenant: "shop-1", Type: commerce.OrderCreated, Source: "shopify",
	Customer: commerce.Customer{Phone: "+14155552671", FirstName: "Jane"}, OrderID: "820982911946154508", OrderName: "#1001",
	CheckoutID: "981820079255243537", FulfillmentID: "255858046", Amount: 179_980_000, Currency: "USD",
	Items:       []commerce.Item{{Title: "Aviator sunglasses", VariantID: "v1", Quantity: 2, URL: "https://shop.example.com/p/aviator"}},
	CheckoutURL: "https://shop.example.com/checkouts/abc/recover", OrderURL: "https://shop.example.com/orders/abc",
	TrackingURL: "https://ups.example/1Z2345", TrackingNumber: "1Z2345", Carrier: "UPS", ShipmentStatus: "delivered"}

// TestCatalogue checks every shipped flow: names, links between steps,
// categories, and that each default template renders a typical event.
func TestCatalogue(t *testing.T) {
	t.Parallel()
	wantCategory := map[string]core.Category{
		AbandonedCheckout: core.CategoryMarketing, ReviewRequest: core.CategoryMarketing, BackInStock: core.CategoryMarketing, WinBack: core.CategoryMarketing,
		OrderConfirmation: core.CategoryTransactional, ShippingUpdate: core.CategoryTransactional, DeliveryUpdates: core.CategoryTransactional,
		PaymentRecovery: core.CategoryTransactional,
	}
	seen := map[string]bool{}
	vars := Vars(sample, "Acme")
	for _, f := range Catalogue() {
		if seen[f.ID] || f.Name == "" || f.Trigger.Text == "" || f.Once == 0 {
			t.Errorf("%s: duplicate or incomplete", f.ID)
		}
		seen[f.ID] = true
		names := map[string]bool{}
		for _, st := range f.Steps {
			if names[st.Name] || st.Name == End || st.Name == "" {
				t.Errorf("%s: step name %q", f.ID, st.Name)
			}
			names[st.Name] = true
		}
		for _, st := range f.Steps {
			for _, ref := range []string{st.Next, st.Else} {
				if ref != "" && ref != End && !names[ref] {
					t.Errorf("%s/%s: goes to unknown step %q", f.ID, st.Name, ref)
				}
			}
			if st.Kind != Send {
				continue
			}
			if st.Category != wantCategory[f.ID] {
				t.Errorf("%s/%s: category %v, want %v", f.ID, st.Name, st.Category, wantCategory[f.ID])
			}
			if st.Category == core.CategoryMarketing && !strings.Contains(st.Template, "STOP") {
				t.Errorf("%s/%s: marketing text without opt-out language", f.ID, st.Name)
			}
			o := f.Run(slices.IndexFunc(f.Steps, func(s Step) bool { return s.Name == st.Name }), vars, sample.Customer.Phone, time.Now())
			if o.Kind != Sending || !strings.HasPrefix(o.Text, "Acme: ") || strings.Contains(o.Text, "{{") {
				t.Errorf("%s/%s: %+v", f.ID, st.Name, o)
			}
		}
	}
	if len(seen) != len(wantCategory) {
		t.Fatalf("%d flows, want %d", len(seen), len(wantCategory))
	}
}

// walk runs f from the start until it waits or completes, at now, and
// returns the outcomes.
func walk(f Flow, vars map[string]string, phone string, now time.Time, from int) []Outcome {
	var out []Outcome
	for i, n := from, 0; n < f.MaxSteps(); n++ {
		o := f.Run(i, vars, phone, now)
		out = append(out, o)
		if o.Kind == Waiting || o.Kind == Completed {
			return out
		}
		i = o.Next
	}
	return out
}

func kinds(os []Outcome) string {
	var s []string
	for _, o := range os {
		s = append(s, o.Step+":"+[]string{"", "waiting", "sending", "skipped", "branched", "completed"}[o.Kind])
	}
	return strings.Join(s, " ")
}

func TestRun(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 6, 20, 0, 0, 0, time.UTC) // 12:00 in San Francisco
	noTracking := sample
	noTracking.TrackingURL = ""
	outForDelivery := sample
	outForDelivery.ShipmentStatus = "out_for_delivery"
	noURL := sample
	noURL.CheckoutURL = ""
	noOrderURL := sample
	noOrderURL.OrderURL = ""
	tests := []struct {
		flow string
		e    commerce.Event
		from int
		want string
		text string
	}{
		{ShippingUpdate, sample, 0, "has_tracking:branched shipped_tracking:sending :completed", "Track it: https://ups.example/1Z2345"},
		{ShippingUpdate, noTracking, 0, "has_tracking:branched shipped:sending :completed", "has shipped with UPS."},
		{DeliveryUpdates, outForDelivery, 0, "status:branched out_for_delivery:sending :completed", "out for delivery today"},
		{DeliveryUpdates, sample, 0, "status:branched delivered:sending :completed", "has been delivered"},
		{AbandonedCheckout, sample, 0, "wait:waiting", ""},
		{AbandonedCheckout, sample, 1, "reminder:sending :completed", "Complete your order: https://shop.example.com/checkouts/abc/recover"},
		{AbandonedCheckout, noURL, 1, "reminder:skipped :completed", ""},
		{ReviewRequest, sample, 1, "send_time:waiting", ""},
		{ReviewRequest, sample, 2, "has_link:branched review:sending :completed", "Tell us: https://shop.example.com/orders/abc"},
		{ReviewRequest, noOrderURL, 2, "has_link:branched :completed", ""},
		{OrderConfirmation, sample, 0, "confirmation:sending :completed", "thanks for your order, Jane! Order #1001 is confirmed. https://shop.example.com/orders/abc"},
		{PaymentRecovery, sample, 0, "payment_failed:sending reminder_wait:waiting", "try again: https://shop.example.com/orders/abc"},
	}
	for _, tt := range tests {
		f, _ := Lookup(tt.flow)
		got := walk(f, Vars(tt.e, "Acme"), tt.e.Customer.Phone, now, tt.from)
		if kinds(got) != tt.want {
			t.Errorf("%s from %d: %s, want %s", tt.flow, tt.from, kinds(got), tt.want)
			continue
		}
		for _, o := range got {
			if o.Kind == Sending && !strings.Contains(o.Text, tt.text) {
				t.Errorf("%s: text %q lacks %q", tt.flow, o.Text, tt.text)
			}
			if o.Kind == Skipped && !strings.Contains(o.Detail, `variable "checkout_url"`) {
				t.Errorf("%s: skipped for %q", tt.flow, o.Detail)
			}
		}
	}
	f, _ := Lookup(AbandonedCheckout)
	if o := f.Run(0, nil, "", now); !o.Until.Equal(now.Add(time.Hour)) {
		t.Errorf("abandoned checkout waits until %v", o.Until)
	}
	f, _ = Lookup(ReviewRequest)
	if o := f.Run(1, nil, "+14155552671", now); !o.Until.Equal(time.Date(2026, 3, 7, 18, 0, 0, 0, time.UTC)) || !strings.Contains(o.Detail, "America/Los_Angeles") {
		t.Errorf("review request send time: %v (%s), want 10:00 the next day in San Francisco", o.Until, o.Detail)
	}
}

func TestNextClock(t *testing.T) {
	t.Parallel()
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		now  time.Time
		h, m int
		want time.Time
	}{
		{time.Date(2026, 3, 6, 14, 0, 0, 0, time.UTC), 10, 0, time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC), 10, 0, time.Date(2026, 3, 7, 15, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 6, 14, 0, 0, 0, time.UTC), 11, 0, time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC), 10, 0, time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)},
		// Across the spring change: 10:00 EDT is 14:00 UTC.
		{time.Date(2026, 3, 7, 16, 0, 0, 0, time.UTC), 10, 0, time.Date(2026, 3, 8, 14, 0, 0, 0, time.UTC)},
		// 02:30 does not exist on 8 March 2026 in New York: 03:00 EDT.
		{time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC), 2, 30, time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := NextClock(tt.now, tt.h, tt.m, ny); !got.Equal(tt.want) {
			t.Errorf("NextClock(%v, %02d:%02d) = %v, want %v", tt.now, tt.h, tt.m, got, tt.want)
		}
	}
}

func TestTriggers(t *testing.T) {
	t.Parallel()
	checkout, order, ful, delivered, restock := sample, sample, sample, sample, sample
	checkout.Type, order.Type, ful.Type, delivered.Type, restock.Type = commerce.CheckoutStarted, commerce.OrderCreated, commerce.FulfillmentCreated, commerce.FulfillmentUpdated, commerce.InventoryRestocked
	inTransit := delivered
	inTransit.ShipmentStatus = "in_transit"
	tests := []struct {
		e    commerce.Event
		want []string
	}{
		{checkout, []string{AbandonedCheckout}},
		{order, []string{OrderConfirmation}},
		{ful, []string{ShippingUpdate}},
		{delivered, []string{DeliveryUpdates, ReviewRequest}},
		{inTransit, nil},
		{restock, []string{BackInStock}},
	}
	for _, tt := range tests {
		var got []string
		for _, f := range Catalogue() {
			if f.Triggered(tt.e) {
				got = append(got, f.ID)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%v triggers %v, want %v", tt.e.Type, got, tt.want)
		}
	}
	f, _ := Lookup(AbandonedCheckout)
	if k := f.OnceKey(checkout); k != "checkout:981820079255243537" {
		t.Errorf("once key %q", k)
	}
	f, _ = Lookup(DeliveryUpdates)
	if k := f.OnceKey(delivered); k != "fulfillment:255858046:delivered" {
		t.Errorf("once key %q", k)
	}
}

func TestExits(t *testing.T) {
	t.Parallel()
	cart, _ := Lookup(AbandonedCheckout)
	s := Subject{CheckoutID: "c1", CustomerKey: "phone:+14155552671"}
	sameCheckout := commerce.Event{ID: "e1", Type: commerce.OrderCreated, CheckoutID: "c1", OrderID: "o1"}
	sameCustomer := commerce.Event{ID: "e2", Type: commerce.OrderCreated, OrderID: "o2", Customer: commerce.Customer{Phone: "+14155552671"}}
	other := commerce.Event{ID: "e3", Type: commerce.OrderCreated, OrderID: "o3", CheckoutID: "c9", Customer: commerce.Customer{Phone: "+14155552672"}}
	update := commerce.Event{ID: "e4", Type: commerce.CheckoutUpdated, CheckoutID: "c1"}
	for _, tt := range []struct {
		e    commerce.Event
		want bool
	}{{sameCheckout, true}, {sameCustomer, true}, {other, false}, {update, false}} {
		reason, ok := cart.ExitFor(s, tt.e)
		if ok != tt.want || ok && !strings.Contains(reason, "an order was placed (order_created "+tt.e.ID+")") {
			t.Errorf("exit on %s: %v %q", tt.e.ID, ok, reason)
		}
	}
	pay, _ := Lookup(PaymentRecovery)
	if _, ok := pay.ExitFor(Subject{OrderID: "o1"}, commerce.Event{Type: commerce.OrderPaid, OrderID: "o1"}); !ok {
		t.Error("payment recovery goes on after the order was paid")
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	cart, _ := Lookup(AbandonedCheckout)
	win, _ := Lookup(WinBack)
	bad := []struct {
		f     Flow
		c     Change
		field string
	}{
		{cart, Change{Templates: map[string]string{"nope": "x"}}, "templates.nope"},
		{cart, Change{Templates: map[string]string{"wait": "x"}}, "templates.wait"},
		{cart, Change{Templates: map[string]string{"reminder": "Hi {{nickname}}"}}, "templates.reminder"},
		{cart, Change{Templates: map[string]string{"reminder": "Hi {{first_name"}}, "templates.reminder"},
		{cart, Change{Delays: map[string]time.Duration{"wait": time.Second}}, "delays.wait"},
		{cart, Change{Delays: map[string]time.Duration{"reminder": time.Hour}}, "delays.reminder"},
		{win, Change{Times: map[string]string{"send_time": "25:00"}}, "times_of_day.send_time"},
		{cart, Change{InactiveFor: 90 * 24 * time.Hour}, "inactive_for"},
		{win, Change{InactiveFor: time.Hour}, "inactive_for"},
	}
	for _, b := range bad {
		_, err := Settings{}.Merge(b.f, b.c)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != b.field {
			t.Errorf("Merge(%+v) = %v, want a FieldError naming %s", b.c, err, b.field)
		}
	}
	s, err := Settings{}.Merge(cart, Change{Templates: map[string]string{"reminder": "{{shop_name}}: back to {{checkout_url}} {{attributes.code}}"},
		Delays: map[string]time.Duration{"wait": 30 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	got := cart.Apply(s)
	if got.Steps[0].Delay != 30*time.Minute || !strings.Contains(got.Steps[1].Template, "back to") || cart.Steps[0].Delay != time.Hour {
		t.Fatalf("applied: %+v (catalogue %+v)", got.Steps, cart.Steps)
	}
	s, err = s.Merge(cart, Change{Templates: map[string]string{"reminder": ""}, Delays: map[string]time.Duration{"wait": 0}})
	if err != nil || len(s.Templates) != 0 || len(s.Delays) != 0 {
		t.Fatalf("reset: %+v, %v", s, err)
	}
	s, err = Settings{}.Merge(win, Change{Times: map[string]string{"send_time": "09:30"}, InactiveFor: 90 * 24 * time.Hour})
	if w := win.Apply(s); err != nil || w.Steps[0].At != quiet.ClockOf(9, 30) || w.InactiveFor != 90*24*time.Hour {
		t.Fatalf("win-back: %+v, %v", w, err)
	}
}
