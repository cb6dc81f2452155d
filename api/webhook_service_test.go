package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
	"github.com/ternsms/tern/pipeline/webhooks"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

func TestWebhookService(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o, err := webhooks.Open(ctx, pgtest.URL(t), webhooks.Config{Client: webhooks.ClientConfig{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	svc := NewWebhookService(WebhookDeps{Endpoints: o, Log: o})
	shop := withCaller(ctx, Caller{Tenant: "shop-1", Scopes: tenants.DefaultScopes | tenants.ScopeAdmin})
	other := withCaller(ctx, Caller{Tenant: "shop-2", Scopes: tenants.DefaultScopes | tenants.ScopeAdmin})

	bad := []struct {
		req  *ternv1.CreateWebhookEndpointRequest
		want string
	}{
		{&ternv1.CreateWebhookEndpointRequest{Url: "http://169.254.169.254/", Events: []string{"*"}}, "url:"},
		{&ternv1.CreateWebhookEndpointRequest{Url: "ftp://example.com/", Events: []string{"*"}}, "url: http or https only"},
		{&ternv1.CreateWebhookEndpointRequest{Url: srv.URL, Events: []string{"message.sent"}}, `events: unknown event type "message.sent"`},
		{&ternv1.CreateWebhookEndpointRequest{Url: srv.URL}, "events: required"},
	}
	for _, b := range bad {
		if _, err := svc.CreateWebhookEndpoint(shop, connect.NewRequest(b.req)); connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Create(%v) = %v, want InvalidArgument %q", b.req, err, b.want)
		}
	}
	created, err := svc.CreateWebhookEndpoint(shop, connect.NewRequest(&ternv1.CreateWebhookEndpointRequest{Url: srv.URL, Events: []string{"message.status", "flow.run_exited"}, Description: "ERP"}))
	if err != nil || !strings.HasPrefix(created.Msg.Secret, "whsec_") || !created.Msg.Endpoint.Enabled {
		t.Fatalf("Create = %v, %v", created, err)
	}
	id := created.Msg.Endpoint.Id
	if list, err := svc.ListWebhookEndpoints(other, connect.NewRequest(&ternv1.ListWebhookEndpointsRequest{})); err != nil || len(list.Msg.Endpoints) != 0 {
		t.Fatalf("another tenant sees %v, %v", list, err)
	}
	if _, err := svc.UpdateWebhookEndpoint(other, connect.NewRequest(&ternv1.UpdateWebhookEndpointRequest{Id: id})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("another tenant's update: %v", err)
	}
	off := false
	up, err := svc.UpdateWebhookEndpoint(shop, connect.NewRequest(&ternv1.UpdateWebhookEndpointRequest{Id: id, Enabled: &off, UpdateEvents: true, Events: []string{"*"}}))
	if err != nil || up.Msg.Endpoint.Enabled || up.Msg.Endpoint.DisabledReason != "disabled by the tenant" || up.Msg.Endpoint.Events[0] != "*" {
		t.Fatalf("Update = %v, %v", up, err)
	}
	rot, err := svc.RotateWebhookSecret(shop, connect.NewRequest(&ternv1.RotateWebhookSecretRequest{Id: id, PreviousValidFor: durationpb.New(time.Hour)}))
	if err != nil || rot.Msg.Secret == created.Msg.Secret || rot.Msg.Endpoint.PreviousSecretExpiresAt == nil {
		t.Fatalf("Rotate = %v, %v", rot, err)
	}
	on := true
	svc.UpdateWebhookEndpoint(shop, connect.NewRequest(&ternv1.UpdateWebhookEndpointRequest{Id: id, Enabled: &on}))
	if err := o.Emit(ctx, []webhooks.Event{{ID: "evt_1", Tenant: "shop-1", Type: webhooks.MessageStatus, Data: map[string]string{"status": "delivered"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.DeliverDue(ctx, id); err != nil {
		t.Fatal(err)
	}
	log, err := svc.ListWebhookDeliveries(shop, connect.NewRequest(&ternv1.ListWebhookDeliveriesRequest{EndpointId: id}))
	if err != nil || len(log.Msg.Deliveries) != 1 || log.Msg.Deliveries[0].State != ternv1.WebhookDeliveryState_WEBHOOK_DELIVERY_STATE_DELIVERED ||
		log.Msg.Deliveries[0].Attempts[0].StatusCode != 200 {
		t.Fatalf("ListWebhookDeliveries = %v, %v", log, err)
	}
	if _, err := svc.ListWebhookDeliveries(shop, connect.NewRequest(&ternv1.ListWebhookDeliveriesRequest{EndpointId: id, PageToken: "x"})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("bad token: %v", err)
	}
	rep, err := svc.ReplayWebhookEvents(shop, connect.NewRequest(&ternv1.ReplayWebhookEventsRequest{EndpointId: id, EventIds: []string{"evt_1"}}))
	if err != nil || rep.Msg.Queued != 1 {
		t.Fatalf("Replay = %v, %v", rep, err)
	}
	if _, err := svc.ReplayWebhookEvents(shop, connect.NewRequest(&ternv1.ReplayWebhookEventsRequest{EndpointId: id})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("replay of nothing: %v", err)
	}
	if _, err := svc.DeleteWebhookEndpoint(shop, connect.NewRequest(&ternv1.DeleteWebhookEndpointRequest{Id: id})); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ListWebhookDeliveries(shop, connect.NewRequest(&ternv1.ListWebhookDeliveriesRequest{EndpointId: id})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("deleted endpoint's log: %v", err)
	}
}
