package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// tenantsEnv is a tenants store and a running registry on a fresh database.
func tenantsEnv(t *testing.T, ctx context.Context) (*tenants.Store, *tenants.Registry) {
	t.Helper()
	s, err := tenants.Open(ctx, pgtest.URL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	r, err := tenants.NewRegistry(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(rctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, r
}

func TestAdminService(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, reg := tenantsEnv(t, ctx)
	svc := NewAdminService(AdminDeps{Tenants: store, Keys: store, Senders: store})
	operator := withCaller(ctx, Caller{Scopes: tenants.ScopeAdmin})
	shopAdmin := withCaller(ctx, Caller{Tenant: "shop-1", Scopes: tenants.ScopeAdmin})
	for _, id := range []string{"shop-1", "shop-2"} {
		if _, err := svc.CreateTenant(operator, connect.NewRequest(&ternv1.CreateTenantRequest{Id: id, Name: "Acme " + id})); err != nil {
			t.Fatal(err)
		}
	}
	var key string
	calls := []struct {
		name string
		call func() error
		code connect.Code // 0: success
		text string
	}{
		{"duplicate tenant", func() error {
			_, err := svc.CreateTenant(operator, connect.NewRequest(&ternv1.CreateTenantRequest{Id: "shop-1"}))
			return err
		}, connect.CodeAlreadyExists, ""},
		{"bad tenant id", func() error {
			_, err := svc.CreateTenant(operator, connect.NewRequest(&ternv1.CreateTenantRequest{Id: "Shop 3"}))
			return err
		}, connect.CodeInvalidArgument, "id:"},
		{"tenant admin creates no tenant", func() error {
			_, err := svc.CreateTenant(shopAdmin, connect.NewRequest(&ternv1.CreateTenantRequest{Id: "shop-3"}))
			return err
		}, connect.CodePermissionDenied, ""},
		{"tenant admin creates a key", func() error {
			r, err := svc.CreateApiKey(shopAdmin, connect.NewRequest(&ternv1.CreateApiKeyRequest{
				Scopes: []ternv1.ApiKeyScope{ternv1.ApiKeyScope_API_KEY_SCOPE_SEND}, Name: "checkout"}))
			if err == nil {
				key = r.Msg.GetKey()
				if r.Msg.GetApiKey().GetTenantId() != "shop-1" || !strings.HasSuffix(key, r.Msg.GetApiKey().GetLast4()) {
					return fmt.Errorf("key %v", r.Msg.GetApiKey())
				}
			}
			return err
		}, 0, ""},
		{"tenant admin on another tenant", func() error {
			_, err := svc.ListApiKeys(shopAdmin, connect.NewRequest(&ternv1.ListApiKeysRequest{TenantId: "shop-2"}))
			return err
		}, connect.CodePermissionDenied, "tenant_id"},
		{"bad scope", func() error {
			_, err := svc.CreateApiKey(shopAdmin, connect.NewRequest(&ternv1.CreateApiKeyRequest{Scopes: []ternv1.ApiKeyScope{9}}))
			return err
		}, connect.CodeInvalidArgument, "scopes"},
		{"senders need a tenant from an operator", func() error {
			_, err := svc.SetSenders(operator, connect.NewRequest(&ternv1.SetSendersRequest{}))
			return err
		}, connect.CodeInvalidArgument, "tenant_id"},
		{"set senders", func() error {
			r, err := svc.SetSenders(shopAdmin, connect.NewRequest(&ternv1.SetSendersRequest{Senders: []*ternv1.Sender{
				{Id: "+14155550100", IsDefault: true}, {Id: "Acme", Countries: []string{"IN"}}}}))
			if err == nil && (len(r.Msg.GetSenders()) != 2 || r.Msg.GetSenders()[0].GetKind() != ternv1.SenderKind_SENDER_KIND_LONG_CODE) {
				return fmt.Errorf("senders %v", r.Msg.GetSenders())
			}
			return err
		}, 0, ""},
		{"malformed sender", func() error {
			_, err := svc.SetSenders(operator, connect.NewRequest(&ternv1.SetSendersRequest{TenantId: "shop-2", Senders: []*ternv1.Sender{{Id: "a/b"}}}))
			return err
		}, connect.CodeInvalidArgument, "senders[0]"},
		{"another tenant's number", func() error {
			_, err := svc.SetSenders(operator, connect.NewRequest(&ternv1.SetSendersRequest{TenantId: "shop-2", Senders: []*ternv1.Sender{{Id: "14155550100"}}}))
			return err
		}, connect.CodeAlreadyExists, ""},
		{"bad policy", func() error {
			_, err := svc.UpdateConsentPolicy(shopAdmin, connect.NewRequest(&ternv1.UpdateConsentPolicyRequest{Policy: &ternv1.ConsentPolicy{DoubleOptInTtlSeconds: 1}}))
			return err
		}, connect.CodeInvalidArgument, "double_opt_in_ttl"},
		{"policy", func() error {
			_, err := svc.UpdateConsentPolicy(shopAdmin, connect.NewRequest(&ternv1.UpdateConsentPolicyRequest{Policy: &ternv1.ConsentPolicy{
				StopScope: ternv1.ConsentScope_CONSENT_SCOPE_MARKETING, Brand: "Acme"}}))
			if err != nil {
				return err
			}
			r, err := svc.GetConsentPolicy(shopAdmin, connect.NewRequest(&ternv1.GetConsentPolicyRequest{}))
			if err == nil && (r.Msg.GetEffective().GetStopScope() != ternv1.ConsentScope_CONSENT_SCOPE_MARKETING ||
				!strings.Contains(r.Msg.GetEffective().GetStopText(), "{brand}") || r.Msg.GetEffective().GetBrand() != "Acme" || r.Msg.GetPolicy().GetStopText() != "") {
				return fmt.Errorf("policy %v", r.Msg)
			}
			return err
		}, 0, ""},
		{"revoke unknown key", func() error {
			_, err := svc.RevokeApiKey(shopAdmin, connect.NewRequest(&ternv1.RevokeApiKeyRequest{Id: "key_nope"}))
			return err
		}, connect.CodeNotFound, ""},
	}
	for _, c := range calls {
		err := c.call()
		if c.code == 0 {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if connect.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: %v, want %v naming %q", c.name, err, c.code, c.text)
		}
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if k, ok := reg.Authorize(key); !ok || k.Tenant != "shop-1" || k.Scopes != tenants.ScopeSend {
			return errors.New("created key not authorized")
		}
		return nil
	})
	list, err := svc.ListApiKeys(shopAdmin, connect.NewRequest(&ternv1.ListApiKeysRequest{}))
	if err != nil || len(list.Msg.GetApiKeys()) != 1 {
		t.Fatalf("ListApiKeys = %v, %v", list, err)
	}
	if _, err := svc.RevokeApiKey(shopAdmin, connect.NewRequest(&ternv1.RevokeApiKeyRequest{Id: list.Msg.GetApiKeys()[0].GetId()})); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if _, ok := reg.Authorize(key); ok {
			return errors.New("revoked key still authorized")
		}
		return nil
	})
	ts, err := svc.ListTenants(operator, connect.NewRequest(&ternv1.ListTenantsRequest{}))
	if err != nil || len(ts.Msg.GetTenants()) != 2 || ts.Msg.GetTenants()[0].GetName() != "Acme shop-1" {
		t.Fatalf("ListTenants = %v, %v", ts, err)
	}
}
