package api

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc/metadata"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/pipeline/flows"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/webhooks"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestFeaturesMounted: with their Deps set, the event, flow and webhook
// services answer through NewHandler (Connect) and NewGRPCServer (gRPC)
// behind the API key, and the store webhooks without one.
func TestFeaturesMounted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newStoreEnv(t, ctx)
	url := pgtest.URL(t)
	en, err := flows.Open(ctx, url, flows.Config{Brokers: e.cfg.Brokers}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer en.Close()
	o, err := webhooks.Open(ctx, url, webhooks.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	keys, err := NewKeyring(map[string][]string{"shop-1": {KeyHash("key-one")}})
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Keys: keys, Sender: &sentRecorder{}, Reports: noReports{}, IDs: noReports{}, Log: slog.New(slog.DiscardHandler),
		Events: &EventDeps{Events: e.tr}, Flows: &FlowDeps{Flows: en}, Webhooks: &WebhookDeps{Endpoints: o, Log: o}}
	h, err := NewHandler(d)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	auth := connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer key-one")
			return next(ctx, req)
		}
	}))
	fc := ternv1connect.NewFlowServiceClient(srv.Client(), srv.URL, auth)
	if r, err := fc.ListFlows(ctx, connect.NewRequest(&ternv1.ListFlowsRequest{})); err != nil || len(r.Msg.Flows) != 8 {
		t.Fatalf("ListFlows over Connect = %v, %v", r, err)
	}
	if _, err := ternv1connect.NewFlowServiceClient(srv.Client(), srv.URL).ListFlows(ctx, connect.NewRequest(&ternv1.ListFlowsRequest{})); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("without a key: %v", err)
	}
	ec := ternv1connect.NewEventServiceClient(srv.Client(), srv.URL, auth)
	if _, err := ec.SetStoreSecret(ctx, connect.NewRequest(&ternv1.SetStoreSecretRequest{Platform: ternv1.StorePlatform_STORE_PLATFORM_SHOPIFY, Secret: "shpss_mounted"})); err != nil {
		t.Fatal(err)
	}
	wc := ternv1connect.NewWebhookServiceClient(srv.Client(), srv.URL, auth)
	if r, err := wc.ListWebhookEndpoints(ctx, connect.NewRequest(&ternv1.ListWebhookEndpointsRequest{})); err != nil || len(r.Msg.Endpoints) != 0 {
		t.Fatalf("ListWebhookEndpoints = %v, %v", r, err)
	}
	body := commerceData(t, "shopify/orders_create.json")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/webhooks/shopify/shop-1", bytes.NewReader(body))
	req.Header.Set("X-Shopify-Topic", "orders/create")
	req.Header.Set("X-Shopify-Webhook-Id", "w-mounted")
	req.Header.Set("X-Shopify-Hmac-Sha256", commerce.SignatureHeader(body, "shpss_mounted"))
	resp, err := srv.Client().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("store webhook through NewHandler: %v, %v", resp, err)
	}
	resp.Body.Close()

	g, err := NewGRPCServer(d)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(ln)
	defer g.Stop()
	conn := grpcConn(t, ln.Addr().String())
	out := &ternv1.ListFlowRunsResponse{}
	gctx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer key-one")
	if err := conn.Invoke(gctx, ternv1connect.FlowServiceListFlowRunsProcedure, &ternv1.ListFlowRunsRequest{}, out); err != nil {
		t.Fatalf("ListFlowRuns over gRPC: %v", err)
	}
}
