package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/flow"
)

// TestBackInStock: the subscribers of a variant are told once when it
// is restocked.
func TestBackInStock(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	en := e.engine(t, ctx)
	enable(t, ctx, en, "shop-1", flow.BackInStock)
	sub := func(id, phone, variant string) commerce.Event {
		return commerce.Event{ID: id, Tenant: "shop-1", Type: commerce.BackInStockSubscribed, Customer: commerce.Customer{Phone: phone, FirstName: "Sam"},
			Items: []commerce.Item{{VariantID: variant}}, OccurredAt: e.clock.now()}
	}
	restock := commerce.Event{ID: "api:r1", Tenant: "shop-1", Type: commerce.InventoryRestocked, OccurredAt: e.clock.now(),
		Items: []commerce.Item{{VariantID: "v-gold", Title: "Aviator sunglasses (gold)", URL: "https://shop.example.com/p/aviator?variant=gold"}}}
	for _, ev := range []commerce.Event{sub("api:s1", jane, "v-gold"), sub("api:s2", bob, "v-gold"), sub("api:s3", bob, "v-silver"),
		sub("api:s1", jane, "v-gold"), restock, restock} {
		if err := en.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := en.AdvanceDue(ctx); err != nil {
		t.Fatal(err)
	}
	all := e.submitted(t, ctx)
	for _, p := range []string{jane, bob} {
		got := to(all, flow.BackInStock, p)
		if len(got) != 1 || got[0].Body != "shop-1: Aviator sunglasses (gold) is back in stock. https://shop.example.com/p/aviator?variant=gold Reply STOP to opt out." {
			t.Fatalf("to %s: %v", p, got)
		}
	}
	// Restocked again: the subscriptions were used up.
	again := restock
	again.ID = "api:r2"
	if err := en.Handle(ctx, again); err != nil {
		t.Fatal(err)
	}
	en.AdvanceDue(ctx)
	if n := len(to(e.submitted(t, ctx), flow.BackInStock, jane)); n != 1 {
		t.Fatalf("%d back-in-stock messages to jane", n)
	}
}

// TestWinBack: a customer whose last order is older than the lapse gets
// one win-back text at 11:00 their time; a scan again sends nothing new.
func TestWinBack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	en := e.engine(t, ctx)
	enable(t, ctx, en, "shop-1", flow.WinBack)
	order := func(id, phone string, age time.Duration) commerce.Event {
		return commerce.Event{ID: id, Tenant: "shop-1", Type: commerce.OrderCreated, OrderID: id, Customer: commerce.Customer{Phone: phone, FirstName: "Ann"},
			OccurredAt: e.clock.now().Add(-age)}
	}
	for _, ev := range []commerce.Event{order("o1", jane, 90*24*time.Hour), order("o2", bob, 10*24*time.Hour)} {
		if err := en.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := en.ScanWinBack(ctx); err != nil || n != 1 {
		t.Fatalf("ScanWinBack = %d, %v; want jane's run", n, err)
	}
	if n, err := en.ScanWinBack(ctx); err != nil || n != 0 {
		t.Fatalf("ScanWinBack again = %d, %v", n, err)
	}
	en.AdvanceDue(ctx)
	r, err := runOf(ctx, en, "shop-1", flow.WinBack, jane)
	if err != nil || r.NextStep != "win_back" || r.NextAt.IsZero() || r.Subject != "lapse phone:+14155552671:o1" {
		t.Fatalf("win-back run %+v, %v", r, err)
	}
	e.clock.forward(25 * time.Hour)
	en.AdvanceDue(ctx)
	got := to(e.submitted(t, ctx), flow.WinBack, jane)
	if len(got) != 1 || !strings.Contains(got[0].Body, "we miss you, Ann!") {
		t.Fatalf("win-back messages: %v", got)
	}
	if local := r.NextAt.In(flow.Zone(jane)); local.Hour() != 11 || local.Minute() != 0 {
		t.Fatalf("sent at %v local", local)
	}
}

// TestConfigure: a tenant's template and delay take effect; a disabled
// flow's waiting runs exit at their next step.
func TestConfigure(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	en := e.engine(t, ctx)
	if _, err := en.Configure(ctx, "shop-1", flow.AbandonedCheckout, flow.Change{Templates: map[string]string{"reminder": "{{nickname}}"}}); !errors.Is(err, flow.ErrInvalid) {
		t.Fatalf("bad template: %v", err)
	}
	if _, err := en.SetEnabled(ctx, "shop-1", "nope", true); !errors.Is(err, flow.ErrUnknownFlow) {
		t.Fatalf("unknown flow: %v", err)
	}
	v, err := en.Configure(ctx, "shop-1", flow.OrderConfirmation, flow.Change{Templates: map[string]string{"confirmation": "Got it, {{first_name}}: {{order_name}} ({{amount}} {{currency}})"}})
	if err != nil || v.Enabled || v.Flow.Steps[0].Template != "Got it, {{first_name}}: {{order_name}} ({{amount}} {{currency}})" {
		t.Fatalf("Configure = %+v, %v", v, err)
	}
	enable(t, ctx, en, "shop-1", flow.OrderConfirmation, flow.PaymentRecovery)
	views, err := en.Flows(ctx, "shop-1")
	if err != nil || len(views) != 8 || views[1].Flow.ID != flow.OrderConfirmation || !views[1].Enabled || views[0].Enabled {
		t.Fatalf("Flows = %+v, %v", views, err)
	}
	ev := commerce.Event{ID: "api:o1", Tenant: "shop-1", Type: commerce.OrderCreated, OrderID: "o1", OrderName: "#42", Amount: 49_900_000, Currency: "EUR", OrderURL: "https://shop.example.com/o/42",
		Customer: commerce.Customer{Phone: jane, FirstName: "Jane"}, OccurredAt: e.clock.now()}
	pay := commerce.Event{ID: "api:p1", Tenant: "shop-1", Type: commerce.PaymentFailed, OrderID: "o1", Customer: commerce.Customer{Phone: jane}, OccurredAt: e.clock.now()}
	for _, x := range []commerce.Event{ev, pay} {
		if err := en.Handle(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	en.AdvanceDue(ctx)
	if got := to(e.submitted(t, ctx), flow.OrderConfirmation, jane); len(got) != 1 || got[0].Body != "Got it, Jane: #42 (49.90 EUR)" || len(to(e.submitted(t, ctx), flow.PaymentRecovery, jane)) != 1 {
		t.Fatalf("confirmation: %v", got)
	}
	if _, err := en.SetEnabled(ctx, "shop-1", flow.PaymentRecovery, false); err != nil {
		t.Fatal(err)
	}
	e.clock.forward(25 * time.Hour)
	en.AdvanceDue(ctx)
	r, err := runOf(ctx, en, "shop-1", flow.PaymentRecovery, jane)
	if err != nil || r.State != "exited" || r.ExitReason != "the flow was disabled" || len(to(e.submitted(t, ctx), flow.PaymentRecovery, jane)) != 1 {
		t.Fatalf("disabled flow's run: %+v, %v", r, err)
	}
}

// TestRunsAdvanceOnce: two instances poll the same runs; each message
// goes once and each run's log says sent once.
func TestRunsAdvanceOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	a, b := e.engine(t, ctx), e.engine(t, ctx)
	enable(t, ctx, a, "shop-1", flow.OrderConfirmation)
	const n = 40
	for i := range n {
		ev := commerce.Event{ID: fmt.Sprintf("api:o%d", i), Tenant: "shop-1", Type: commerce.OrderCreated, OrderID: fmt.Sprintf("o%d", i),
			Customer: commerce.Customer{Phone: fmt.Sprintf("+1415555%04d", 2000+i)}, OccurredAt: e.clock.now()}
		if err := a.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, en := range []*Engine{a, b, a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); en.AdvanceDue(ctx) }()
	}
	wg.Wait()
	testkit.Eventually(t, 30*time.Second, func() error {
		a.AdvanceDue(ctx)
		if got := len(e.submitted(t, ctx)); got != n {
			return fmt.Errorf("%d messages, want %d", got, n)
		}
		return nil
	})
	runs, _, err := a.Runs(ctx, "shop-1", Filter{}, MaxPage, "")
	if err != nil || len(runs) != n {
		t.Fatalf("%d runs, %v", len(runs), err)
	}
	for _, r := range runs {
		if outcomes(r) != "started sent completed" {
			t.Fatalf("run %d: %s", r.ID, outcomes(r))
		}
	}
}

// TestOperatorDelay: the operator's delays replace a wait's delay and a
// wait-until's time of day, for every tenant, over the tenant's own.
func TestOperatorDelay(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	en := e.engine(t, ctx, WithDelay(flow.ReviewRequest, "send_time", 2*time.Second), WithDelay(flow.AbandonedCheckout, "wait", 3*time.Second))
	if _, err := en.Configure(ctx, "shop-1", flow.AbandonedCheckout, flow.Change{Delays: map[string]time.Duration{"wait": 2 * time.Hour}}); err != nil {
		t.Fatal(err)
	}
	views, err := en.Flows(ctx, "shop-1")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]flow.Step{}
	for _, v := range views {
		for _, st := range v.Flow.Steps {
			got[v.Flow.ID+"/"+st.Name] = st
		}
	}
	if st := got["review_request/send_time"]; st.Kind != flow.Wait || st.Delay != 2*time.Second {
		t.Errorf("review send time: %+v", st)
	}
	if st := got["abandoned_checkout/wait"]; st.Delay != 3*time.Second {
		t.Errorf("abandoned checkout wait: %+v", st)
	}
	if st := got["win_back/send_time"]; st.Kind != flow.WaitUntil {
		t.Errorf("win-back send time changed: %+v", st)
	}
}
