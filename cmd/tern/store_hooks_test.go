package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/testkit"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// shopSecret is the Shopify webhook secret of the store tests' tenant.
const shopSecret = "shpss_0123456789abcdef0123456789abcdef"

// fixture is a real Shopify payload of core/commerce's testdata, made
// another customer's or checkout's with replacements (old, new, …).
func fixture(t *testing.T, name string, replace ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "core", "commerce", "testdata", "shopify", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(replace...).Replace(string(b)))
}

// shopper replaces the fixtures' customer (Jane, +1 415 555 2671,
// customer 603851970716743426) with one of the same shape whose number
// ends in last4 and whose Shopify id ends in it too.
func shopper(last4 string) []string {
	return []string{"555-2671", "555-" + last4, "5552671", "555" + last4, "603851970716743426", "60385197071674" + last4}
}

// shop posts Shopify webhooks to one tern instance and reads its flows.
type shop struct {
	t     *testing.T
	api   string
	flows ternv1connect.FlowServiceClient // the tenant's key
	admin ternv1connect.FlowServiceClient // the operator key
}

func newShop(t *testing.T, addr, key, adminKey string) *shop {
	return &shop{t: t, api: addr,
		flows: ternv1connect.NewFlowServiceClient(h2c(), "http://"+addr, bearer(key)),
		admin: ternv1connect.NewFlowServiceClient(h2c(), "http://"+addr, bearer(adminKey))}
}

// post posts body as Shopify would for topic, signed with secret, with
// webhook id id; it returns the status and the answer.
func (s *shop) post(ctx context.Context, topic, id string, body []byte, secret string) (int, string) {
	s.t.Helper()
	return s.postAs(ctx, "shopify", http.Header{"X-Shopify-Topic": {topic}, "X-Shopify-Webhook-Id": {id},
		"X-Shopify-Shop-Domain": {"example-shop.myshopify.com"}, "X-Shopify-Hmac-Sha256": {commerce.SignatureHeader(body, secret)}}, body)
}

// postWoo posts body as WooCommerce would for topic, signed with secret.
func (s *shop) postWoo(ctx context.Context, topic, id string, body []byte, secret string) (int, string) {
	s.t.Helper()
	return s.postAs(ctx, "woocommerce", http.Header{"X-Wc-Webhook-Topic": {topic}, "X-Wc-Webhook-Delivery-Id": {id},
		"X-Wc-Webhook-Source": {"https://shop.example.com/"}, "X-Wc-Webhook-Signature": {commerce.SignatureHeader(body, secret)}}, body)
}

func (s *shop) postAs(ctx context.Context, platform string, h http.Header, body []byte) (int, string) {
	s.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.api+"/webhooks/"+platform+"/shop", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// deliver posts a webhook that must be taken in.
func (s *shop) deliver(ctx context.Context, topic, id string, body []byte) {
	s.t.Helper()
	if code, answer := s.post(ctx, topic, id, body, shopSecret); code != http.StatusOK || !strings.Contains(answer, "event_id") {
		s.t.Fatalf("%s %s: %d %s, want 200 with the event id", topic, id, code, answer)
	}
}

// enable enables flows for the tenant with the given templates.
func (s *shop) enable(ctx context.Context, templates map[string]map[string]string) {
	s.t.Helper()
	for id, tm := range templates {
		if _, err := s.admin.ConfigureFlow(ctx, connect.NewRequest(&ternv1.ConfigureFlowRequest{TenantId: "shop", FlowId: id, Templates: tm})); err != nil {
			s.t.Fatalf("ConfigureFlow %s: %v", id, err)
		}
		if _, err := s.admin.SetFlowEnabled(ctx, connect.NewRequest(&ternv1.SetFlowEnabledRequest{TenantId: "shop", FlowId: id, Enabled: true})); err != nil {
			s.t.Fatalf("SetFlowEnabled %s: %v", id, err)
		}
	}
}

// runs returns phone's runs of flow.
func (s *shop) runs(ctx context.Context, flow, phone string) []*ternv1.FlowRun {
	s.t.Helper()
	resp, err := s.flows.ListFlowRuns(ctx, connect.NewRequest(&ternv1.ListFlowRunsRequest{FlowId: flow, CustomerPhone: phone}))
	if err != nil {
		s.t.Fatalf("ListFlowRuns: %v", err)
	}
	return resp.Msg.Runs
}

// waitRun waits until phone has one run of flow in state, and returns it.
func (s *shop) waitRun(ctx context.Context, flow, phone string, state ternv1.FlowRunState) *ternv1.FlowRun {
	s.t.Helper()
	var run *ternv1.FlowRun
	testkit.Eventually(s.t, 2*time.Minute, func() error {
		runs := s.runs(ctx, flow, phone)
		if len(runs) != 1 || runs[0].State != state {
			return fmt.Errorf("%s runs of %s: %v, want one %v", flow, phone, runs, state)
		}
		run = runs[0]
		return nil
	})
	return run
}

// sentOnce waits until the simulator got text for to once, and checks
// it got it no more.
func sentOnce(t *testing.T, sim *smscsim.Server, to, text string) {
	t.Helper()
	testkit.Eventually(t, 2*time.Minute, func() error {
		if n := sim.Submits(to, text); n != 1 {
			return fmt.Errorf("%q to %s submitted %d times, want once", text, to, n)
		}
		return nil
	})
}

// storeCluster is one tern instance of a cluster whose tenant "shop"
// ("Acme") has Shopify and WooCommerce secrets, the operator key adminKey and flows
// waiting as the flags say.
func storeCluster(t *testing.T, flags ...string) (*cluster, string) {
	t.Helper()
	c := newCluster(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1, DeliveredRatio: 1, ReceiptDelay: 50 * time.Millisecond}, "")
	adminKey := newAPIKey()
	c.writeConfig(fmt.Sprintf("    name: Acme\n    senders:\n      - {id: %q, default: true}\nadmin_key_sha256: [%q]\n",
		shopNumber, api.KeyHash(adminKey)))
	c.flags = flags
	for _, platform := range []string{"shopify", "woocommerce"} {
		out, err := exec.Command(c.bin, "store-secret", "--postgres-url", c.pgURL, "--tenant", "shop", "--platform", platform,
			"--secret", shopSecret).Output()
		if err != nil {
			t.Fatalf("tern store-secret: %v\n%s", err, out)
		}
		var answer map[string]string
		if err := json.Unmarshal(out, &answer); err != nil || answer["webhook_path"] != "/webhooks/"+platform+"/shop" {
			t.Fatalf("tern store-secret printed %s", out)
		}
	}
	return c, adminKey
}
