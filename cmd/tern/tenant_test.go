package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
)

// TestTenantAndAPIKeyCommands: create a tenant and a key, see them
// listed (never the key again), revoke it.
func TestTenantAndAPIKeyCommands(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := pgtest.URL(t)
	run := func(f func(context.Context, []string, *bytes.Buffer) error, args ...string) map[string]any {
		t.Helper()
		var out bytes.Buffer
		if err := f(ctx, append(args, "--postgres-url", url), &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		var m map[string]any
		if line, _, _ := strings.Cut(out.String(), "\n"); line != "" {
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%v: %q: %v", args, out.String(), err)
			}
		}
		return m
	}
	tenant := func(ctx context.Context, a []string, b *bytes.Buffer) error { return runTenant(ctx, a, b) }
	apikey := func(ctx context.Context, a []string, b *bytes.Buffer) error { return runAPIKey(ctx, a, b) }
	if got := run(tenant, "create", "--id", "shop-1", "--name", "Acme"); got["id"] != "shop-1" || got["name"] != "Acme" {
		t.Fatalf("tenant create printed %v", got)
	}
	if got := run(tenant, "list"); got["id"] != "shop-1" {
		t.Fatalf("tenant list printed %v", got)
	}
	created := run(apikey, "create", "--tenant", "shop-1", "--scopes", "send,read", "--name", "checkout")
	key, _ := created["key"].(string)
	if !strings.HasPrefix(key, "tern_") || created["last4"] != key[len(key)-4:] {
		t.Fatalf("apikey create printed %v", created)
	}
	listed := run(apikey, "list", "--tenant", "shop-1")
	if listed["id"] != created["id"] || listed["key"] != nil {
		t.Fatalf("apikey list printed %v", listed)
	}
	run(apikey, "revoke", "--id", created["id"].(string))
	store, err := tenants.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reg, err := tenants.NewRegistry(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Authorize(key); ok {
		t.Fatal("revoked key authorized")
	}
	if op := run(apikey, "create", "--operator"); op["tenant"] != "" || op["scopes"].([]any)[0] != "admin" {
		t.Fatalf("operator key %v", op)
	}
}

// TestAPIKeyFlags: bad flags are refused, naming the flag, before any
// connection.
func TestAPIKeyFlags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nowhere := []string{"--postgres-url", "postgres://tern@127.0.0.1:1/none?connect_timeout=1"}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"create", "--tenant", "shop-1", "--scopes", "root"}, "scopes"},
		{[]string{"create"}, "--tenant or --operator"},
		{[]string{"create", "--tenant", "a", "--operator"}, "--tenant or --operator"},
		{[]string{"create", "--operator", "--scopes", "send"}, "--scopes"},
		{[]string{"revoke"}, "--id"},
		{[]string{"rotate"}, "want create"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		if err := runAPIKey(ctx, append(tt.args, nowhere...), &out); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error naming %q", tt.args, err, tt.want)
		}
	}
	var out bytes.Buffer
	if err := runTenant(ctx, append([]string{"create", "--id", "Bad Id"}, nowhere...), &out); err == nil || !strings.Contains(err.Error(), "--id") {
		t.Errorf("tenant create --id 'Bad Id': %v", err)
	}
}
