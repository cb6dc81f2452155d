package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/storeevents"
	"github.com/ternsms/tern/pipeline/stream"
)

// storeEnv is a tracker on the real database and broker.
type storeEnv struct {
	tr  *storeevents.Tracker
	cfg storeevents.Config
}

func newStoreEnv(t *testing.T, ctx context.Context) storeEnv {
	t.Helper()
	cfg := storeevents.Config{Brokers: []string{kafkatest.Broker(t)}}
	if err := stream.EnsureTopic(ctx, cfg.Brokers, stream.Topic{Name: storeevents.DefaultTopic, Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	tr, err := storeevents.Open(ctx, pgtest.URL(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return storeEnv{tr: tr, cfg: cfg}
}

// topicEvents decodes every store event on the topic so far.
func (e storeEnv) topicEvents(t *testing.T, ctx context.Context) []commerce.Event {
	t.Helper()
	var out []commerce.Event
	for _, r := range kafkatest.ReadAll(t, e.cfg.Brokers, storeevents.DefaultTopic) {
		ev, _, err := storeevents.Decode(r.Value)
		if err != nil {
			t.Errorf("decode: %v", err)
		}
		out = append(out, ev)
	}
	return out
}

func commerceData(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "core", "commerce", "testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStoreWebhooks posts Shopify- and WooCommerce-shaped webhooks to a
// real HTTP server.
func TestStoreWebhooks(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newStoreEnv(t, ctx)
	srv := httptest.NewServer(NewStoreWebhooks(e.tr, nil))
	defer srv.Close()
	checkout := commerceData(t, "shopify/checkouts_create.json")
	post := func(path string, body []byte, hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	shopify := func(topic, id string, body []byte, secret string) map[string]string {
		return map[string]string{"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": id, "X-Shopify-Shop-Domain": "acme.myshopify.com",
			"X-Shopify-Hmac-Sha256": commerce.SignatureHeader(body, secret)}
	}
	if code, body := post("/webhooks/shopify/shop-1", checkout, shopify("checkouts/create", "w-1", checkout, "shpss_one1")); code != 401 || !strings.Contains(body, "no shopify webhook secret") {
		t.Fatalf("before a secret is set: %d %s", code, body)
	}
	if err := e.tr.SetSecret(ctx, "shop-1", storeevents.Shopify, "shpss_one1", false); err != nil {
		t.Fatal(err)
	}
	if err := e.tr.SetSecret(ctx, "shop-1", storeevents.WooCommerce, "wc_secret_1", false); err != nil {
		t.Fatal(err)
	}
	malformed := []byte(`{"id": 1, "line_items": [`)
	tests := []struct {
		name, path string
		body       []byte
		hdr        map[string]string
		code       int
		want       string
	}{
		{"bad hmac", "/webhooks/shopify/shop-1", checkout, shopify("checkouts/create", "w-1", checkout, "wrong"), 401, "does not match"},
		{"no hmac", "/webhooks/shopify/shop-1", checkout, map[string]string{"X-Shopify-Topic": "checkouts/create", "X-Shopify-Webhook-Id": "w-1"}, 401, "does not match"},
		{"another tenant's secret", "/webhooks/shopify/shop-2", checkout, shopify("checkouts/create", "w-1", checkout, "shpss_one1"), 401, "no shopify webhook secret"},
		{"signed checkout", "/webhooks/shopify/shop-1", checkout, shopify("checkouts/create", "w-1", checkout, "shpss_one1"), 200, `"event_id":"shopify:w-1"`},
		{"redelivery", "/webhooks/shopify/shop-1", checkout, shopify("checkouts/create", "w-1", checkout, "shpss_one1"), 200, "duplicate of shopify:w-1"},
		{"malformed JSON", "/webhooks/shopify/shop-1", malformed, shopify("orders/create", "w-2", malformed, "shpss_one1"), 400, "malformed JSON"},
		{"unknown topic", "/webhooks/shopify/shop-1", []byte(`{}`), shopify("products/create", "w-3", []byte(`{}`), "shpss_one1"), 200, "ignored"},
		{"no webhook id", "/webhooks/shopify/shop-1", checkout, shopify("checkouts/create", "", checkout, "shpss_one1"), 400, "X-Shopify-Webhook-Id: required"},
		{"bad tenant", "/webhooks/shopify/Shop%201", checkout, shopify("checkouts/create", "w-4", checkout, "shpss_one1"), 404, "no such tenant"},
		{"woocommerce order", "/webhooks/woocommerce/shop-1", commerceData(t, "woocommerce/order_created.json"), wooHdr("order.created", "d-1",
			commerceData(t, "woocommerce/order_created.json"), "wc_secret_1"), 200, `"event_id":"woocommerce:d-1"`},
		{"woocommerce ping", "/webhooks/woocommerce/shop-1", []byte("webhook_id=7"), map[string]string{"X-WC-Webhook-Signature": commerce.SignatureHeader([]byte("webhook_id=7"), "wc_secret_1")}, 200, "ping"},
		{"woocommerce bad signature", "/webhooks/woocommerce/shop-1", commerceData(t, "woocommerce/order_created.json"), wooHdr("order.created", "d-2",
			commerceData(t, "woocommerce/order_created.json"), "shpss_one1"), 401, "X-WC-Webhook-Signature does not match"},
	}
	for _, tt := range tests {
		code, body := post(tt.path, tt.body, tt.hdr)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s, want %d %q", tt.name, code, body, tt.code, tt.want)
		}
	}
	got := e.topicEvents(t, ctx)
	if len(got) != 2 || got[0].ID != "shopify:w-1" || got[0].Type != commerce.CheckoutStarted || got[0].Tenant != "shop-1" ||
		got[1].ID != "woocommerce:d-1" || got[1].Type != commerce.OrderCreated {
		t.Fatalf("topic holds %+v", got)
	}
	// During a rotation the previous secret still verifies.
	if err := e.tr.SetSecret(ctx, "shop-1", storeevents.Shopify, "shpss_two2", true); err != nil {
		t.Fatal(err)
	}
	order := commerceData(t, "shopify/orders_create.json")
	for _, s := range []string{"shpss_one1", "shpss_two2"} {
		if code, body := post("/webhooks/shopify/shop-1", order, shopify("orders/create", "w-5-"+s, order, s)); code != 200 {
			t.Fatalf("signed with %s during the rotation: %d %s", s, code, body)
		}
	}
}

func wooHdr(topic, id string, body []byte, secret string) map[string]string {
	return map[string]string{"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Delivery-ID": id, "X-WC-Webhook-Source": "https://shop.example.com/",
		"X-WC-Webhook-Signature": commerce.SignatureHeader(body, secret)}
}
