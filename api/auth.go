package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/pipeline/tenants"
)

// Authorizer resolves API keys to what they grant, from memory;
// tenants.Registry is one (keys in PostgreSQL, revocations seen by every
// instance within a second), Keyring another.
type Authorizer interface {
	Authorize(key string) (tenants.KeyInfo, bool)
}

// Keyring maps API keys to tenants, each key with tenants.DefaultScopes.
// It holds only SHA-256 hashes of the keys, so a leaked config does not
// leak keys. It serves tests and tools that run without PostgreSQL.
type Keyring struct {
	byHash map[[sha256.Size]byte]string
}

// KeyHash returns the hex SHA-256 of key, the form a Keyring is built from.
func KeyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// NewKeyring builds a Keyring from tenant id -> hex SHA-256 key hashes.
func NewKeyring(hashes map[string][]string) (*Keyring, error) {
	k := &Keyring{byHash: map[[sha256.Size]byte]string{}}
	for tenant, hs := range hashes {
		if tenant == "" {
			return nil, fmt.Errorf("keyring: empty tenant id")
		}
		for _, h := range hs {
			b, err := hex.DecodeString(h)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("keyring: tenant %s: key hash is not 64 hex characters", tenant)
			}
			var sum [sha256.Size]byte
			copy(sum[:], b)
			if other, ok := k.byHash[sum]; ok && other != tenant {
				return nil, fmt.Errorf("keyring: one key hash for tenants %s and %s", other, tenant)
			}
			k.byHash[sum] = tenant
		}
	}
	return k, nil
}

// Tenant returns the tenant a key belongs to.
func (k *Keyring) Tenant(key string) (string, bool) {
	t, ok := k.byHash[sha256.Sum256([]byte(key))]
	return t, ok
}

// Authorize implements Authorizer: the key's tenant, with the default
// scopes.
func (k *Keyring) Authorize(key string) (tenants.KeyInfo, bool) {
	t, ok := k.Tenant(key)
	if !ok {
		return tenants.KeyInfo{}, false
	}
	return tenants.KeyInfo{ID: "keyring", Tenant: t, Scopes: tenants.DefaultScopes}, true
}

type callKey struct{}

// call is an authenticated call: who makes it, and on grpc-go the timer
// that cancels the call if its message is not all in within the read
// timeout (see bridge.tap).
type call struct {
	Caller
	read *time.Timer
}

// withCaller puts c into ctx as the caller of its call.
func withCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callKey{}, &call{Caller: c})
}

// callerFrom returns the caller authenticated for ctx's call.
func callerFrom(ctx context.Context) Caller {
	if c, ok := ctx.Value(callKey{}).(*call); ok {
		return c.Caller
	}
	return Caller{}
}

// tenantFrom returns the tenant authenticated for ctx's call.
func tenantFrom(ctx context.Context) string { return callerFrom(ctx).Tenant }

// requireKey refuses calls without a known `Authorization: Bearer KEY`
// (Unauthenticated), and calls the key may not make (PermissionDenied,
// see Caller.permits), before next reads a byte of their body, in the
// protocol of the call; it puts the caller into the context of the
// others. A call without an Authorization header that carries a
// dashboard session cookie is authenticated by the session instead
// (Sessions.Caller: the user's role's scopes, browser calls only), when
// d has Sessions. Requests that are no RPC at all go to next, which
// refuses them without reading their body either.
func (d Deps) requireKey(next http.Handler) http.Handler {
	ew := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ew.IsSupported(r) {
			next.ServeHTTP(w, r)
			return
		}
		var c Caller
		var err *connect.Error
		if h := r.Header.Get("Authorization"); h == "" && d.Sessions != nil && HasSessionCookie(r) {
			c, err = d.Sessions.Caller(r, r.URL.Path)
		} else {
			c, err = authorize(d.Keys, h, r.URL.Path)
		}
		if err != nil {
			ew.Write(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withCaller(r.Context(), c)))
	})
}

// authorize returns the caller of an Authorization header's bearer key,
// or the *connect.Error refusing its call to procedure.
func authorize(k Authorizer, header, procedure string) (Caller, *connect.Error) {
	key, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || key == "" {
		return Caller{}, connect.NewError(connect.CodeUnauthenticated, errMissingKey)
	}
	info, ok := k.Authorize(strings.TrimSpace(key))
	if !ok {
		return Caller{}, connect.NewError(connect.CodeUnauthenticated, errUnknownKey)
	}
	c := Caller{KeyID: info.ID, Tenant: info.Tenant, Scopes: info.Scopes}
	if ok, why := c.permits(procedure); !ok {
		return Caller{}, connect.NewError(connect.CodePermissionDenied, errors.New(why))
	}
	return c, nil
}
