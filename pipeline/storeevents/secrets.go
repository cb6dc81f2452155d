package storeevents

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store platforms whose webhooks tern reads.
const (
	Shopify     = "shopify"
	WooCommerce = "woocommerce"
)

// SecretStore keeps the platforms' webhook signing secrets; a Tracker
// has one, and commands open one on their own.
type SecretStore struct {
	pool *pgxpool.Pool
}

// OpenSecretStore connects to PostgreSQL at url and applies the
// migrations. Close it when done.
func OpenSecretStore(ctx context.Context, url string) (*SecretStore, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := migrate(ctx, pool, nil); err != nil {
		pool.Close()
		return nil, err
	}
	return &SecretStore{pool: pool}, nil
}

// Close closes the connection pool.
func (s *SecretStore) Close() { s.pool.Close() }

// SetSecret is SecretStore.SetSecret.
func (t *Tracker) SetSecret(ctx context.Context, tenant, platform, secret string, keepPrevious bool) error {
	return (&SecretStore{pool: t.pool}).SetSecret(ctx, tenant, platform, secret, keepPrevious)
}

// Secrets is SecretStore.Secrets.
func (t *Tracker) Secrets(ctx context.Context, tenant, platform string) ([]string, error) {
	return (&SecretStore{pool: t.pool}).Secrets(ctx, tenant, platform)
}

// SetSecret sets tenant's webhook signing secret for platform. With
// keepPrevious the secret it replaces stays valid beside it (a
// rotation); without, only the new one is.
func (s *SecretStore) SetSecret(ctx context.Context, tenant, platform, secret string, keepPrevious bool) error {
	switch {
	case tenant == "":
		return &FieldError{Field: "tenant_id", Reason: "required"}
	case platform != Shopify && platform != WooCommerce:
		return &FieldError{Field: "platform", Reason: "shopify or woocommerce"}
	case len(secret) < 8 || len(secret) > 255 || strings.IndexFunc(secret, unicode.IsControl) >= 0 || strings.TrimSpace(secret) != secret:
		return &FieldError{Field: "secret", Reason: "8 to 255 bytes without spaces at its ends or control characters"}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO store_secrets (tenant_id, platform, secret) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, platform) DO UPDATE SET
			previous_secret = CASE WHEN $4 AND store_secrets.secret <> $3 THEN store_secrets.secret ELSE '' END,
			secret = $3, updated_at = now()`, tenant, platform, secret, keepPrevious)
	if err != nil {
		return fmt.Errorf("set store secret: %w", err)
	}
	return nil
}

// Secrets returns the secrets tenant's platform webhooks may be signed
// with, the current one first; ErrNoSecret when there is none.
func (s *SecretStore) Secrets(ctx context.Context, tenant, platform string) ([]string, error) {
	var cur, prev string
	err := s.pool.QueryRow(ctx, `SELECT secret, previous_secret FROM store_secrets WHERE tenant_id = $1 AND platform = $2`,
		tenant, platform).Scan(&cur, &prev)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoSecret
	}
	if err != nil {
		return nil, fmt.Errorf("store secret: %w", err)
	}
	if prev == "" {
		return []string{cur}, nil
	}
	return []string{cur, prev}, nil
}
