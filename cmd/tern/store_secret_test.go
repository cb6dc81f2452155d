package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/storeevents"
)

// TestStoreSecretCommand sets a Shopify secret, rotates it keeping the
// old one, and refuses bad flags naming them.
func TestStoreSecretCommand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := pgtest.URL(t)
	var out bytes.Buffer
	for _, args := range [][]string{
		{"--tenant", "shop-1", "--secret", "shpss_first_secret"},
		{"--tenant", "shop-1", "--secret", "shpss_second_secret", "--keep-previous"},
	} {
		out.Reset()
		if err := runStoreSecret(ctx, append(args, "--postgres-url", url), &out); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(out.String(), `"webhook_path":"/webhooks/shopify/shop-1"`) {
		t.Fatalf("printed %q", out.String())
	}
	store, err := storeevents.OpenSecretStore(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if got, err := store.Secrets(ctx, "shop-1", storeevents.Shopify); err != nil || strings.Join(got, ",") != "shpss_second_secret,shpss_first_secret" {
		t.Fatalf("secrets %v, %v", got, err)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--tenant", "Shop 1", "--secret", "shpss_long_enough"}, "--tenant:"},
		{[]string{"--tenant", "shop-1", "--platform", "magento", "--secret", "shpss_long_enough"}, "--platform: shopify or woocommerce"},
		{[]string{"--tenant", "shop-1", "--secret", "short"}, "--secret: 8 to 255 bytes"},
	} {
		if err := runStoreSecret(ctx, append(bad.args, "--postgres-url", url), &out); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: %v, want %q", bad.args, err, bad.want)
		}
	}
}
