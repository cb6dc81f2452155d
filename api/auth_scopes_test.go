package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline/tenants"
)

// A key is resolved through the tenant registry: a call its scopes do not
// allow is PermissionDenied before its body is read, in every protocol,
// and a revoked key is refused once the registry has reloaded.
func TestRegistryKeysAndScopes(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, reg := tenantsEnv(t, ctx)
	if _, err := store.CreateTenant(ctx, tenants.Tenant{ID: "shop-1"}); err != nil {
		t.Fatal(err)
	}
	_, sendKey, err := store.CreateKey(ctx, "shop-1", tenants.ScopeSend, "checkout")
	if err != nil {
		t.Fatal(err)
	}
	readInfo, readKey, err := store.CreateKey(ctx, "shop-1", tenants.ScopeRead, "reports")
	if err != nil {
		t.Fatal(err)
	}
	_, operatorKey, err := store.CreateKey(ctx, "", tenants.ScopeAdmin, "ops")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if _, ok := reg.Authorize(operatorKey); !ok {
			return fmt.Errorf("registry has not loaded the keys yet")
		}
		return nil
	})
	s := serveAPIWith(t, reg)
	const big = 64 << 20
	denied := func(code int, body string, err error) error {
		switch {
		case err != nil:
			return err
		case code == http.StatusForbidden && strings.Contains(body, "permission_denied"):
			return nil
		case code == http.StatusOK && strings.HasSuffix(body, "7"):
			return nil
		}
		return fmt.Errorf("HTTP %d %q, want PermissionDenied", code, body)
	}
	url := "http://" + s.addr
	checks := []struct {
		name string
		call func() error
	}{
		{"read-only key sends, Connect", func() error {
			return denied(post(ctx, &http.Client{}, url, "application/proto", "", readKey, zeros(big)))
		}},
		{"operator key sends, gRPC-Web", func() error {
			return denied(post(ctx, &http.Client{}, url, "application/grpc-web+proto", "", operatorKey, zeros(big)))
		}},
		{"read-only key sends, gRPC on grpc-go", func() error {
			if err := grpcRaw(ctx, t, s.addr, readKey, make([]byte, 7<<20)); status.Code(err) != codes.PermissionDenied ||
				!strings.Contains(err.Error(), "lacks the send scope") {
				return fmt.Errorf("%v, want PermissionDenied naming the scope", err)
			}
			return nil
		}},
	}
	for _, c := range checks {
		if err := c.call(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if n := s.meter.read.Load(); n > 8<<20 {
		t.Errorf("server read %d bytes of calls its keys may not make, want at most 8 MiB", n)
	}
	if err := grpcRaw(ctx, t, s.addr, sendKey, nil); status.Code(err) == codes.PermissionDenied || status.Code(err) == codes.Unauthenticated {
		t.Errorf("send key refused: %v", err)
	}

	if err := store.RevokeKey(ctx, "shop-1", readInfo.ID); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if code, body, err := post(ctx, &http.Client{}, url, "application/proto", "", readKey, strings.NewReader("")); err != nil ||
			code != http.StatusUnauthorized || !strings.Contains(body, "unknown API key") {
			return fmt.Errorf("revoked key: HTTP %d %q %v, want Unauthenticated", code, body, err)
		}
		return nil
	})
}

// adminKeys is a Keyring whose keys also have the admin scope, for tests
// of procedures that need it.
type adminKeys struct{ *Keyring }

func (k adminKeys) Authorize(key string) (tenants.KeyInfo, bool) {
	info, ok := k.Keyring.Authorize(key)
	info.Scopes |= tenants.ScopeAdmin
	return info, ok
}
