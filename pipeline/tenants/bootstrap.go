package tenants

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Bootstrap is what the YAML config file says about tenants.
type Bootstrap struct {
	Tenants []BootTenant
	// AdminKeyHashes are operator keys (admin scope, every tenant), as hex
	// SHA-256; `tern serve --dev` puts data/dev-admin-key's here.
	AdminKeyHashes []string
}

// BootTenant is one tenant of the config file.
type BootTenant struct {
	ID   string
	Name string
	// KeyHashes are hex SHA-256 of its keys; they get DefaultScopes.
	KeyHashes []string
	// Senders are added where the tenant lacks them; the first marked
	// Default becomes the default only when the tenant has none.
	Senders []Sender
}

// Bootstrap upserts the config file's tenants, keys and senders (source
// "config") and revokes config keys the file no longer lists. What was
// changed through the API stays: a tenant's name and policy, a key
// revoked through the API, the senders set. Instances starting together
// take turns.
func (s *Store) Bootstrap(ctx context.Context, b Bootstrap) error {
	type keyRow struct {
		tenant string
		hash   [32]byte
		scopes Scope
	}
	var keys []keyRow
	for _, h := range b.AdminKeyHashes {
		sum, err := ParseHash(h)
		if err != nil {
			return fmt.Errorf("admin key: %w", err)
		}
		keys = append(keys, keyRow{"", sum, ScopeAdmin})
	}
	for i, t := range b.Tenants {
		if err := ValidateID(t.ID); err != nil {
			return fmt.Errorf("tenants[%d]: %w", i, err)
		}
		for _, h := range t.KeyHashes {
			sum, err := ParseHash(h)
			if err != nil {
				return fmt.Errorf("tenant %s: %w", t.ID, err)
			}
			keys = append(keys, keyRow{t.ID, sum, DefaultScopes})
		}
		if _, err := checkSenders(t.Senders); err != nil {
			return fmt.Errorf("tenant %s: %w", t.ID, err)
		}
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(0x74656e74)); err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
		for _, t := range b.Tenants {
			name := t.Name
			if name == "" {
				name = t.ID
			}
			if _, err := tx.Exec(ctx, `INSERT INTO tenants (id, name, source) VALUES ($1, $2, 'config') ON CONFLICT (id) DO NOTHING`, t.ID, name); err != nil {
				return fmt.Errorf("bootstrap tenant %s: %w", t.ID, err)
			}
			list, _ := checkSenders(t.Senders)
			if err := insertSenders(ctx, tx, t.ID, list, true); err != nil {
				return fmt.Errorf("bootstrap tenant %s: %w", t.ID, err)
			}
		}
		hashes := make([][]byte, len(keys))
		for i, k := range keys {
			hashes[i] = k.hash[:]
			var owner *string
			err := tx.QueryRow(ctx, `INSERT INTO api_keys (id, tenant_id, hash, scopes, name, last4, source)
				VALUES ($1, nullif($2, ''), $3, $4, 'config', '', 'config')
				ON CONFLICT (hash) DO UPDATE SET hash = excluded.hash RETURNING tenant_id`,
				newKeyID(), k.tenant, k.hash[:], k.scopes.Names()).Scan(&owner)
			if err != nil {
				return fmt.Errorf("bootstrap key: %w", err)
			}
			if got := deref(owner); got != k.tenant {
				return fmt.Errorf("bootstrap: a key hash of %q belongs to %q already", k.tenant, got)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = now()
			WHERE source = 'config' AND revoked_at IS NULL AND NOT (hash = ANY($1))`, hashes); err != nil {
			return fmt.Errorf("bootstrap: revoke keys no longer configured: %w", err)
		}
		return nil
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
