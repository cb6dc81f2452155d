package tenants

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/sender"
	"github.com/ternsms/tern/pipeline/pgtest"
)

// openStore opens a Store on a fresh database.
func openStore(t *testing.T, ctx context.Context, url string) *Store {
	t.Helper()
	if url == "" {
		url = pgtest.URL(t)
	}
	s, err := Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// runRegistry starts a Registry on s, stopped when the test ends.
func runRegistry(t *testing.T, ctx context.Context, s *Store) *Registry {
	t.Helper()
	r, err := NewRegistry(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func TestTenantsAndKeys(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := pgtest.URL(t)
	s := openStore(t, ctx, url)
	if _, err := s.CreateTenant(ctx, Tenant{ID: "shop-1", Name: "Acme", Policy: consent.Policy{StopScope: consent.ScopeMarketing}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		in   Tenant
		want error
	}{
		{"duplicate", Tenant{ID: "shop-1"}, ErrExists},
		{"bad id", Tenant{ID: "Shop 1"}, ErrInvalid},
		{"bad policy", Tenant{ID: "shop-2", Policy: consent.Policy{DoubleOptInTTL: 1}}, ErrInvalid},
	} {
		if _, err := s.CreateTenant(ctx, tt.in); !errors.Is(err, tt.want) {
			t.Errorf("%s: CreateTenant = %v, want %v", tt.name, err, tt.want)
		}
	}
	// Two instances' registries on one database.
	a, b := runRegistry(t, ctx, s), runRegistry(t, ctx, openStore(t, ctx, url))
	k, secret, err := s.CreateKey(ctx, "shop-1", ScopeSend|ScopeContacts, "checkout")
	if err != nil {
		t.Fatal(err)
	}
	if k.Last4 != secret[len(secret)-4:] || k.Scopes.String() != "send,contacts" {
		t.Fatalf("key %+v", k)
	}
	for _, r := range []*Registry{a, b} {
		testkit.Eventually(t, 10*time.Second, func() error {
			if got, ok := r.Authorize(secret); !ok || got.Tenant != "shop-1" || got.Scopes != ScopeSend|ScopeContacts {
				return fmt.Errorf("Authorize = %+v, %v", got, ok)
			}
			return nil
		})
	}
	if v, _ := a.Tenant("shop-1"); v.Policy.StopScope != consent.ScopeMarketing || v.Policy.Brand != "Acme" {
		t.Fatalf("policy %+v", v.Policy)
	}
	if _, _, err := s.CreateKey(ctx, "nobody", 0, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("key for unknown tenant: %v", err)
	}
	if _, _, err := s.CreateKey(ctx, "", ScopeSend, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("operator key without admin: %v", err)
	}
	if err := s.RevokeKey(ctx, "other", k.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke another tenant's key: %v", err)
	}
	if err := s.RevokeKey(ctx, "shop-1", k.ID); err != nil {
		t.Fatal(err)
	}
	// The revocation reaches the other instance's registry.
	testkit.Eventually(t, 10*time.Second, func() error {
		if _, ok := b.Authorize(secret); ok {
			return errors.New("revoked key still authorized")
		}
		return nil
	})
	keys, err := s.Keys(ctx, "shop-1")
	if err != nil || len(keys) != 1 || keys[0].Revoked.IsZero() {
		t.Fatalf("Keys = %+v, %v", keys, err)
	}
}

func TestSenders(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := openStore(t, ctx, "")
	for _, id := range []string{"shop-1", "shop-2", "open"} {
		if _, err := s.CreateTenant(ctx, Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	err := s.SetSenders(ctx, "shop-1", []Sender{{ID: "+14155550100", Default: true}, {ID: "12345"}, {ID: "Acme", Countries: []string{"in"}}})
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name   string
		tenant string
		list   []Sender
		want   error
	}{
		{"number of another tenant", "shop-2", []Sender{{ID: "14155550100"}}, ErrNumberTaken},
		{"two defaults", "shop-2", []Sender{{ID: "A", Default: true}, {ID: "B", Default: true}}, ErrInvalid},
		{"malformed", "shop-2", []Sender{{ID: "a/b"}}, ErrInvalid},
		{"twice", "shop-2", []Sender{{ID: "ACME"}, {ID: "acme"}}, ErrInvalid},
		{"unknown tenant", "nobody", nil, ErrNotFound},
	}
	for _, tt := range bad {
		if err := s.SetSenders(ctx, tt.tenant, tt.list); !errors.Is(err, tt.want) {
			t.Errorf("%s: SetSenders = %v, want %v", tt.name, err, tt.want)
		}
	}
	// An alphanumeric id may be two tenants'.
	if err := s.SetSenders(ctx, "shop-2", []Sender{{ID: "ACME"}}); err != nil {
		t.Fatal(err)
	}
	r := runRegistry(t, ctx, s)
	tests := []struct {
		tenant, from string
		want         bool
	}{
		{"shop-1", "+14155550100", true},
		{"shop-1", "14155550100", true},
		{"shop-1", "12345", true},
		{"shop-1", "acme", true},
		{"shop-1", "", true},
		{"shop-1", "+14155550199", false},
		{"shop-2", "12345", false},
		{"open", "ANYTHING", true},
		{"nobody", "", false},
	}
	for _, tt := range tests {
		if got := r.Owns(tt.tenant, tt.from); got != tt.want {
			t.Errorf("Owns(%s, %q) = %v, want %v", tt.tenant, tt.from, got, tt.want)
		}
	}
	if got := r.DefaultSender("shop-1"); got != "+14155550100" {
		t.Errorf("DefaultSender = %q", got)
	}
	for to, want := range map[string]string{"14155550100": "shop-1", "+14155550100": "shop-1", "12345": "shop-1", "ACME": ""} {
		if got, _ := r.TenantByNumber(to); got != want {
			t.Errorf("TenantByNumber(%s) = %q, want %q", to, got, want)
		}
	}
	checks := []struct {
		tenant, from, region, want string
		kind                       error
	}{
		{"shop-1", "", "US", "+14155550100", nil},
		{"shop-1", "12345", "US", "12345", nil},
		{"shop-1", "ACME", "US", "", sender.ErrNotAllowed},
		{"shop-1", "ACME", "IN", "ACME", nil},
		{"shop-1", "+14155550199", "US", "", ErrNotOwned},
		{"open", "ANY", "GB", "ANY", nil},
		{"open", "ANY", "US", "", sender.ErrNotAllowed},
		{"nobody", "", "US", "", ErrNotOwned},
	}
	for _, c := range checks {
		got, err := r.CheckSender(c.tenant, c.from, c.region)
		var se *sender.Error
		if got != c.want || !errors.Is(err, c.kind) || (c.kind != nil && (!errors.As(err, &se) || !strings.HasPrefix(err.Error(), "from: "))) {
			t.Errorf("CheckSender(%s, %q, %s) = %q, %v; want %q, %v", c.tenant, c.from, c.region, got, err, c.want, c.kind)
		}
	}
	v, _ := r.Tenant("shop-1")
	if err := sender.Check("Acme", "IN", v.Rules); err != nil {
		t.Errorf("registered id refused: %v", err)
	}
	if err := sender.Check("Acme", "US", v.Rules); !errors.Is(err, sender.ErrNotAllowed) {
		t.Errorf("US alphanumeric: %v", err)
	}
}

func TestBootstrap(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := openStore(t, ctx, "")
	k1, k2, admin := NewKey(), NewKey(), NewKey()
	hex := func(k string) string { h := Hash(k); return fmt.Sprintf("%x", h[:]) }
	boot := Bootstrap{
		Tenants:        []BootTenant{{ID: "shop-1", KeyHashes: []string{hex(k1), hex(k2)}, Senders: []Sender{{ID: "+14155550100", Default: true}}}},
		AdminKeyHashes: []string{hex(admin)},
	}
	for range 2 { // idempotent
		if err := s.Bootstrap(ctx, boot); err != nil {
			t.Fatal(err)
		}
	}
	r := runRegistry(t, ctx, s)
	if k, ok := r.Authorize(k1); !ok || k.Tenant != "shop-1" || k.Scopes != DefaultScopes {
		t.Fatalf("config key: %+v %v", k, ok)
	}
	if k, ok := r.Authorize(admin); !ok || k.Tenant != "" || k.Scopes != ScopeAdmin {
		t.Fatalf("admin key: %+v %v", k, ok)
	}
	if r.DefaultSender("shop-1") != "+14155550100" {
		t.Fatalf("default sender %q", r.DefaultSender("shop-1"))
	}
	// The file drops k2: it is revoked. Senders set through the API stay.
	if err := s.SetSenders(ctx, "shop-1", []Sender{{ID: "+14155550111", Default: true}}); err != nil {
		t.Fatal(err)
	}
	boot.Tenants[0].KeyHashes = []string{hex(k1)}
	if err := s.Bootstrap(ctx, boot); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if _, ok := r.Authorize(k2); ok {
			return errors.New("key dropped from the file still works")
		}
		if _, ok := r.Authorize(k1); !ok {
			return errors.New("key in the file refused")
		}
		if got := r.DefaultSender("shop-1"); got != "+14155550111" {
			return fmt.Errorf("default sender %q, want the one set through the API", got)
		}
		return nil
	})
	// One key hash for two tenants is refused.
	boot.Tenants = append(boot.Tenants, BootTenant{ID: "shop-2", KeyHashes: []string{hex(k1)}})
	if err := s.Bootstrap(ctx, boot); err == nil {
		t.Fatal("one key hash for two tenants accepted")
	}
}

func TestParseScopes(t *testing.T) {
	t.Parallel()
	if s, err := ParseScopes(nil); err != nil || s != DefaultScopes {
		t.Fatalf("default: %v %v", s, err)
	}
	if s, err := ParseScopes([]string{"send", "ADMIN"}); err != nil || s != ScopeSend|ScopeAdmin {
		t.Fatalf("send,admin: %v %v", s, err)
	}
	if _, err := ParseScopes([]string{"root"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown scope: %v", err)
	}
}
