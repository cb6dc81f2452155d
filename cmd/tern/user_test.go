package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
)

// TestUserCommands: create users with a generated and a given password,
// sign in with each, list them, disable one, and refuse bad flags.
func TestUserCommands(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := pgtest.URL(t)
	run := func(stdin string, args ...string) (map[string]any, error) {
		t.Helper()
		var out bytes.Buffer
		err := runUser(ctx, append(args, "--postgres-url", url), strings.NewReader(stdin), &out)
		var m map[string]any
		if line, _, _ := strings.Cut(out.String(), "\n"); line != "" {
			if jerr := json.Unmarshal([]byte(line), &m); jerr != nil {
				t.Fatalf("%v: %q: %v", args, out.String(), jerr)
			}
		}
		return m, err
	}
	var out bytes.Buffer
	if err := runTenant(ctx, []string{"create", "--id", "shop-u", "--postgres-url", url}, &out); err != nil {
		t.Fatal(err)
	}
	owner, err := run("", "create", "--tenant", "shop-u", "--email", "Owner@Shop.example", "--role", "owner")
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := owner["password"].(string)
	if owner["email"] != "owner@shop.example" || owner["role"] != "owner" || len(pw) < tenants.MinPasswordLen {
		t.Fatalf("user create printed %v", owner)
	}
	viewer, err := run("a viewer's long password\n", "create", "--tenant", "shop-u", "--email", "v@shop.example", "--role", "viewer", "--password-stdin")
	if err != nil || viewer["password"] != nil {
		t.Fatalf("user create --password-stdin: %v, printed %v", err, viewer)
	}

	store, err := tenants.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	logins := tenants.NewLogins(store, tenants.LoginPolicy{})
	for email, password := range map[string]string{"owner@shop.example": pw, "v@shop.example": "a viewer's long password"} {
		if _, err := logins.Authenticate(ctx, "shop-u", email, password); err != nil {
			t.Fatalf("sign in as %s: %v", email, err)
		}
	}
	if listed, _ := run("", "list", "--tenant", "shop-u"); listed["email"] != "owner@shop.example" || listed["password"] != nil {
		t.Fatalf("user list printed %v", listed)
	}
	if _, err := run("", "disable", "--tenant", "shop-u", "--email", "v@shop.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := logins.Authenticate(ctx, "shop-u", "v@shop.example", "a viewer's long password"); !errors.Is(err, tenants.ErrBadLogin) {
		t.Fatalf("a disabled user signed in: %v", err)
	}

	bad := []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"create", "--tenant", "shop-u", "--email", "x@shop.example", "--role", "boss"}, "role"},
		{"", []string{"create", "--tenant", "shop-u", "--email", "not-an-email", "--role", "viewer"}, "email"},
		{"short\n", []string{"create", "--tenant", "shop-u", "--email", "x@shop.example", "--role", "viewer", "--password-stdin"}, "password"},
		{"", []string{"create", "--tenant", "no-such", "--email", "x@shop.example", "--role", "viewer"}, "not found"},
		{"", []string{"create", "--tenant", "shop-u", "--email", "OWNER@shop.example", "--role", "admin"}, "exists"},
		{"", []string{"create", "--email", "x@shop.example", "--role", "viewer"}, "--tenant"},
	}
	for _, tc := range bad {
		if _, err := run(tc.stdin, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("user %v: got %v, want an error naming %q", tc.args, err, tc.want)
		}
	}
}
