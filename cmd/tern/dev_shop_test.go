package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/commerce"
)

// With --dev, tern writes the dev tenant's id and Shopify webhook secret
// to DATA/dev-tenant and DATA/dev-shopify-secret and prints them; a
// checkout signed with that secret is taken in.
func TestDevShopifySecret(t *testing.T) {
	sim := smscsim.Config{Addr: "127.0.0.1:0", Seed: 1, DeliveredRatio: 1}
	data := t.TempDir()
	r := startConfigured(t, sim, func(c *serveConfig) { c.dataDir = data })
	tenant, err := os.ReadFile(filepath.Join(data, "dev-tenant"))
	if err != nil || strings.TrimSpace(string(tenant)) != "dev" {
		t.Fatalf("DATA/dev-tenant: %q, %v; want dev", tenant, err)
	}
	secret, err := os.ReadFile(filepath.Join(data, "dev-shopify-secret"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printRunning(&out, serveConfig{dev: true, dataDir: data}, r)
	if !strings.Contains(out.String(), "/webhooks/shopify/dev  secret in "+filepath.Join(data, "dev-shopify-secret")) {
		t.Errorf("tern serve --dev printed no dev Shopify webhook line:\n%s", out.String())
	}

	body, err := os.ReadFile(filepath.Join("..", "..", "core", "commerce", "testdata", "shopify", "checkouts_create.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+r.apiAddr+"/webhooks/shopify/dev", bytes.NewReader(body))
	req.Header.Set("X-Shopify-Topic", "checkouts/create")
	req.Header.Set("X-Shopify-Webhook-Id", "dev-1")
	req.Header.Set("X-Shopify-Hmac-Sha256", commerce.SignatureHeader(body, strings.TrimSpace(string(secret))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(answer), `"event_id":"shopify:dev-1"`) {
		t.Errorf("a checkout signed with DATA/dev-shopify-secret: %d %s, want 200 with its event id", resp.StatusCode, answer)
	}

}
