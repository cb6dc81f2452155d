package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
)

// Keyring maps API keys to tenants. It holds only SHA-256 hashes of the
// keys, so a leaked config does not leak keys.
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

type tenantKey struct{}

// caller is an authenticated call: its tenant, and on grpc-go the timer
// that cancels the call if its message is not all in within the read
// timeout (see bridge.tap).
type caller struct {
	tenant string
	read   *time.Timer
}

// tenantFrom returns the tenant authenticated for ctx's call: a key's
// caller (requireKey, the grpc-go tap) or the tenant withCaller put there.
func tenantFrom(ctx context.Context) string {
	switch c := ctx.Value(tenantKey{}).(type) {
	case *caller:
		return c.tenant
	case string:
		return c
	}
	return ""
}

// requireKey refuses calls without a known `Authorization: Bearer KEY`
// before next reads a byte of their body, in the protocol of the call,
// and puts the key's tenant into the context of the others. Requests that
// are no RPC at all go to next, which refuses them without reading their
// body either.
func requireKey(k *Keyring, next http.Handler) http.Handler {
	ew := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ew.IsSupported(r) {
			next.ServeHTTP(w, r)
			return
		}
		tenant, err := k.authorize(r.Header.Get("Authorization"))
		if err != nil {
			ew.Write(w, r, connect.NewError(connect.CodeUnauthenticated, err))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, &caller{tenant: tenant})))
	})
}

// authorize returns the tenant of an Authorization header's bearer key.
func (k *Keyring) authorize(header string) (string, error) {
	key, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || key == "" {
		return "", errMissingKey
	}
	tenant, ok := k.Tenant(strings.TrimSpace(key))
	if !ok {
		return "", errUnknownKey
	}
	return tenant, nil
}
