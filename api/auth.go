package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

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

// tenantFrom returns the tenant authenticated for ctx's call.
func tenantFrom(ctx context.Context) string {
	t, _ := ctx.Value(tenantKey{}).(string)
	return t
}

// authInterceptor rejects calls without a known `Authorization: Bearer KEY`
// and puts the key's tenant into the call's context.
func authInterceptor(k *Keyring) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			tenant, err := k.authorize(req.Header().Get("Authorization"))
			if err != nil {
				return nil, connect.NewError(connect.CodeUnauthenticated, err)
			}
			return next(context.WithValue(ctx, tenantKey{}, tenant), req)
		}
	}
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
