package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
)

// TestDevDashboardLogin: the first call makes the owner and the file;
// later calls keep both, and set a changed password back to the file's.
func TestDevDashboardLogin(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := tenants.Open(ctx, pgtest.URL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.CreateTenant(ctx, tenants.Tenant{ID: "dev"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	email, pw, err := devDashboardLogin(ctx, store, dir, "dev")
	if err != nil || email != devDashboardEmail || len(pw) < tenants.MinPasswordLen {
		t.Fatalf("devDashboardLogin = %q, %q, %v", email, pw, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "dev-dashboard-login"))
	if err != nil || string(b) != email+" "+pw+"\n" {
		t.Fatalf("dev-dashboard-login holds %q, %v", b, err)
	}
	logins := tenants.NewLogins(store, tenants.LoginPolicy{})
	u, err := logins.Authenticate(ctx, "dev", email, pw)
	if err != nil || u.Role != tenants.RoleOwner {
		t.Fatalf("sign in with the file's login: %v, %v", u, err)
	}
	token, _, err := logins.CreateSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, again, err := devDashboardLogin(ctx, store, dir, "dev"); err != nil || again != pw {
		t.Fatalf("second call = %q, %v; want the file's password", again, err)
	}
	if _, err := logins.Session(ctx, token); err != nil {
		t.Fatalf("a restart ended the session: %v", err)
	}
	if err := store.SetPassword(ctx, "dev", email, "someone changed it here"); err != nil {
		t.Fatal(err)
	}
	if _, err := logins.Session(ctx, token); !errors.Is(err, tenants.ErrNoSession) {
		t.Fatalf("a session outlived a new password: %v", err)
	}
	if _, _, err := devDashboardLogin(ctx, store, dir, "dev"); err != nil {
		t.Fatal(err)
	}
	if _, err := logins.Authenticate(ctx, "dev", email, pw); err != nil {
		t.Fatalf("the file's password was not set back: %v", err)
	}
}
