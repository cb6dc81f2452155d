package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/pipeline/tenants"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

func TestEventService(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newStoreEnv(t, ctx)
	svc := NewEventService(EventDeps{Events: e.tr})
	shop := withCaller(ctx, Caller{Tenant: "shop-1", Scopes: tenants.DefaultScopes | tenants.ScopeAdmin})
	operator := withCaller(ctx, Caller{Scopes: tenants.ScopeAdmin})
	order := func(key, amount string) *ternv1.StoreEvent {
		return &ternv1.StoreEvent{Type: ternv1.StoreEventType_STORE_EVENT_TYPE_ORDER_CREATED, OrderId: "1001", Amount: amount, Currency: "EUR",
			Customer: &ternv1.StoreCustomer{Phone: "+33612345678", FirstName: "Léa"}, IdempotencyKey: key,
			Items: []*ternv1.StoreItem{{VariantId: "v1", Quantity: 1, Price: "19.90"}}}
	}
	resp, err := svc.Track(shop, connect.NewRequest(&ternv1.TrackRequest{Event: order("k1", "19.90")}))
	if err != nil || resp.Msg.EventId != "api:k1" || resp.Msg.Duplicate {
		t.Fatalf("Track = %v, %v", resp, err)
	}
	if resp, err := svc.Track(shop, connect.NewRequest(&ternv1.TrackRequest{Event: order("k1", "19.90")})); err != nil || !resp.Msg.Duplicate {
		t.Fatalf("Track again = %v, %v", resp, err)
	}
	bad := []struct {
		name string
		ev   *ternv1.StoreEvent
		want string
	}{
		{"no event", nil, "event: required"},
		{"bad amount", order("k2", "12,50"), "amount:"},
		{"no type", &ternv1.StoreEvent{OrderId: "1"}, "type: required"},
		{"bad phone", &ternv1.StoreEvent{Type: ternv1.StoreEventType_STORE_EVENT_TYPE_ORDER_PAID, OrderId: "1", Customer: &ternv1.StoreCustomer{Phone: "+1"}}, "customer.phone:"},
	}
	for _, b := range bad {
		_, err := svc.Track(shop, connect.NewRequest(&ternv1.TrackRequest{Event: b.ev}))
		if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: %v, want InvalidArgument %q", b.name, err, b.want)
		}
	}
	batch, err := svc.TrackBatch(shop, connect.NewRequest(&ternv1.TrackBatchRequest{Events: []*ternv1.StoreEvent{order("k3", "1"), order("k4", "x")}}))
	if err != nil || batch.Msg.Results[0].GetTracked().GetEventId() != "api:k3" || batch.Msg.Results[1].GetError().GetField() != "amount" {
		t.Fatalf("TrackBatch = %v, %v", batch, err)
	}
	if got := len(e.topicEvents(t, ctx)); got != 2 {
		t.Fatalf("%d events on the topic, want 2", got)
	}

	set := func(ctx context.Context, tenant string) (*connect.Response[ternv1.SetStoreSecretResponse], error) {
		return svc.SetStoreSecret(ctx, connect.NewRequest(&ternv1.SetStoreSecretRequest{Platform: ternv1.StorePlatform_STORE_PLATFORM_SHOPIFY,
			Secret: "shpss_0123456789", TenantId: tenant}))
	}
	if r, err := set(shop, ""); err != nil || r.Msg.WebhookPath != "/webhooks/shopify/shop-1" {
		t.Fatalf("SetStoreSecret = %v, %v", r, err)
	}
	if _, err := set(shop, "shop-2"); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("another tenant's secret: %v", err)
	}
	if _, err := set(operator, ""); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("operator without tenant_id: %v", err)
	}
	if r, err := set(operator, "shop-2"); err != nil || r.Msg.WebhookPath != "/webhooks/shopify/shop-2" {
		t.Fatalf("operator for shop-2: %v, %v", r, err)
	}
	if _, err := svc.Track(ctx, connect.NewRequest(&ternv1.TrackRequest{Event: order("k5", "1")})); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("without a caller: %v", err)
	}
}
