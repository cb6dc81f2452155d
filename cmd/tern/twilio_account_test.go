package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/ternsms/tern/pipeline/pgtest"
	twstore "github.com/ternsms/tern/pipeline/twilio"
)

// TestTwilioAccountCommands: create an account for a tenant, its token
// authenticates; list, set the SMS URL, revoke.
func TestTwilioAccountCommands(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := pgtest.URL(t)
	keyFile := filepath.Join(t.TempDir(), "id-key")
	if err := os.WriteFile(keyFile, []byte("00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (map[string]any, error) {
		var out bytes.Buffer
		var err error
		if args[0] == "tenant" {
			err = runTenant(ctx, append(args[1:], "--postgres-url", url), &out)
		} else {
			err = runTwilioAccount(ctx, append(args, "--postgres-url", url), &out)
		}
		var m map[string]any
		if line, _, _ := strings.Cut(out.String(), "\n"); line != "" {
			json.Unmarshal([]byte(line), &m)
		}
		return m, err
	}
	if _, err := run("create", "--tenant", "nobody", "--id-key-file", keyFile); err == nil {
		t.Fatal("an account for an unknown tenant")
	}
	if _, err := run("tenant", "create", "--id", "shop-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("create", "--tenant", "shop-1", "--sms-url", "mailto:x", "--id-key-file", keyFile); err == nil || !strings.Contains(err.Error(), "sms_url") {
		t.Fatalf("bad SMS URL: %v", err)
	}
	created, err := run("create", "--tenant", "shop-1", "--name", "woo", "--id-key-file", keyFile)
	if err != nil {
		t.Fatal(err)
	}
	sid, _ := created["account_sid"].(string)
	token, _ := created["auth_token"].(string)
	if !strings.HasPrefix(sid, "AC") || len(token) != 32 || !strings.HasPrefix(created["verify_service_sid"].(string), "VA") {
		t.Fatalf("created %v", created)
	}
	store, err := twstore.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if a, err := store.Authenticate(ctx, sid, token); err != nil || a.Tenant != "shop-1" {
		t.Fatalf("Authenticate = %+v, %v", a, err)
	}
	if listed, err := run("list", "--tenant", "shop-1"); err != nil || listed["account_sid"] != sid || listed["auth_token"] != nil {
		t.Fatalf("listed %v, %v", listed, err)
	}
	if got, err := run("set-sms-url", "--sid", sid, "--sms-url", "https://shop.example/sms"); err != nil || got["sms_url"] != "https://shop.example/sms" {
		t.Fatalf("set-sms-url %v, %v", got, err)
	}
	if _, err := run("revoke", "--sid", sid); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if _, err := store.Authenticate(ctx, sid, token); !errors.Is(err, twstore.ErrAuth) {
			return fmt.Errorf("revoked account: %v", err)
		}
		return nil
	})
}
