package tenants

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// Key is an API key as tern keeps it: never the key itself.
type Key struct {
	ID string
	// Tenant is "" for an operator key.
	Tenant string
	Scopes Scope
	Name   string
	// Last4 are the key's last four characters, for people to tell keys
	// apart.
	Last4   string
	Source  string
	Created time.Time
	// Revoked is zero while the key works.
	Revoked time.Time
}

// NewKey returns a fresh API key: "tern_" and 32 random bytes, base64url.
func NewKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "tern_" + base64.RawURLEncoding.EncodeToString(b)
}

// Hash is the SHA-256 of an API key, the only form tern stores.
func Hash(key string) [sha256.Size]byte { return sha256.Sum256([]byte(key)) }

// ParseHash reads a hex SHA-256, as the config file gives key hashes.
func ParseHash(h string) ([sha256.Size]byte, error) {
	var out [sha256.Size]byte
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size {
		return out, invalid("api_key_sha256", "not 64 hex characters")
	}
	copy(out[:], b)
	return out, nil
}

func newKeyID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "key_" + hex.EncodeToString(b)
}

// CreateKey makes a key for tenant ("" for an operator key, which must
// have the admin scope) and returns it with the key itself, which is not
// kept and cannot be shown again.
func (s *Store) CreateKey(ctx context.Context, tenant string, scopes Scope, name string) (Key, string, error) {
	if tenant == "" && scopes != ScopeAdmin {
		return Key{}, "", invalid("scopes", "an operator key (no tenant) has the admin scope only")
	}
	if scopes == 0 {
		scopes = DefaultScopes
	}
	if len(name) > 200 {
		return Key{}, "", invalid("name", "at most 200 bytes")
	}
	secret := NewKey()
	k := Key{ID: newKeyID(), Tenant: tenant, Scopes: scopes, Name: name, Last4: secret[len(secret)-4:], Source: "api"}
	h := Hash(secret)
	err := s.pool.QueryRow(ctx, `INSERT INTO api_keys (id, tenant_id, hash, scopes, name, last4, source)
		VALUES ($1, nullif($2, ''), $3, $4, $5, $6, 'api') RETURNING created_at`,
		k.ID, tenant, h[:], scopes.Names(), name, k.Last4).Scan(&k.Created)
	if isForeignKey(err) {
		return Key{}, "", fmt.Errorf("tenant %s: %w", tenant, ErrNotFound)
	}
	if err != nil {
		return Key{}, "", fmt.Errorf("create key: %w", err)
	}
	return k, secret, nil
}

// RevokeKey revokes a key of tenant ("" matches any tenant: an operator
// revoking). Revoking again is harmless. Registries drop it within a
// second.
func (s *Store) RevokeKey(ctx context.Context, tenant, id string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
		WHERE id = $1 AND ($2 = '' OR tenant_id = $2)`, id, tenant)
	if err != nil {
		return fmt.Errorf("revoke key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("key %s: %w", id, ErrNotFound)
	}
	return nil
}

// Keys lists tenant's keys, revoked ones too, oldest first; "" lists the
// operator keys.
func (s *Store) Keys(ctx context.Context, tenant string) ([]Key, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, coalesce(tenant_id, ''), scopes, name, last4, source, created_at, revoked_at
		FROM api_keys WHERE tenant_id IS NOT DISTINCT FROM nullif($1, '') ORDER BY created_at, id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var k Key
		var names []string
		var revoked *time.Time
		if err := rows.Scan(&k.ID, &k.Tenant, &names, &k.Name, &k.Last4, &k.Source, &k.Created, &revoked); err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		k.Scopes, _ = ParseScopes(names)
		if revoked != nil {
			k.Revoked = *revoked
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
