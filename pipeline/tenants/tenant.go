package tenants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/sender"
)

// Tenant is one customer of tern: a store, or a group of stores that
// share keys, senders and a consent policy.
type Tenant struct {
	ID   string
	Name string
	// Policy is the tenant's consent policy as set (WithDefaults not
	// applied).
	Policy consent.Policy
	// SenderRules override the built-in country rules (core/sender).
	SenderRules map[string]sender.Rule
	// Source is "api" or "config".
	Source  string
	Created time.Time
}

var tenantID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ValidateID reports why id cannot be a tenant id: 1 to 63 lower-case
// letters, digits, '.', '_' and '-', starting with a letter or digit.
func ValidateID(id string) error {
	if !tenantID.MatchString(id) {
		return invalid("id", "1 to 63 lower-case letters, digits, . _ and -, starting with a letter or digit")
	}
	return nil
}

// CreateTenant adds a tenant; name defaults to the id.
func (s *Store) CreateTenant(ctx context.Context, t Tenant) (Tenant, error) {
	if err := ValidateID(t.ID); err != nil {
		return t, err
	}
	if t.Name == "" {
		t.Name = t.ID
	}
	if len(t.Name) > 200 {
		return t, invalid("name", "at most 200 bytes")
	}
	if err := t.Policy.Validate(); err != nil {
		return t, invalid("policy", err.Error())
	}
	if t.Source == "" {
		t.Source = "api"
	}
	policy, rules, err := tenantJSON(t)
	if err != nil {
		return t, err
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO tenants (id, name, policy, sender_rules, source) VALUES ($1, $2, $3, $4, $5)
		RETURNING created_at`, t.ID, t.Name, policy, rules, t.Source).Scan(&t.Created)
	if isUnique(err) {
		return t, fmt.Errorf("tenant %s: %w", t.ID, ErrExists)
	}
	if err != nil {
		return t, fmt.Errorf("create tenant: %w", err)
	}
	return t, nil
}

func tenantJSON(t Tenant) (policy, rules []byte, err error) {
	if policy, err = json.Marshal(t.Policy); err != nil {
		return nil, nil, fmt.Errorf("policy: %w", err)
	}
	if t.SenderRules == nil {
		t.SenderRules = map[string]sender.Rule{}
	}
	if rules, err = json.Marshal(t.SenderRules); err != nil {
		return nil, nil, fmt.Errorf("sender rules: %w", err)
	}
	return policy, rules, nil
}

// SetPolicy replaces a tenant's consent policy and sender rule overrides.
func (s *Store) SetPolicy(ctx context.Context, id string, p consent.Policy, rules map[string]sender.Rule) error {
	if err := p.Validate(); err != nil {
		return invalid("policy", err.Error())
	}
	policy, rj, err := tenantJSON(Tenant{Policy: p, SenderRules: rules})
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE tenants SET policy = $2, sender_rules = $3 WHERE id = $1`, id, policy, rj)
	if err != nil {
		return fmt.Errorf("set policy: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("tenant %s: %w", id, ErrNotFound)
	}
	return nil
}

// Tenants lists every tenant, by id.
func (s *Store) Tenants(ctx context.Context) ([]Tenant, error) {
	return s.queryTenants(ctx, s.pool, `SELECT id, name, policy, sender_rules, source, created_at FROM tenants ORDER BY id`)
}

// Tenant returns one tenant.
func (s *Store) Tenant(ctx context.Context, id string) (Tenant, error) {
	ts, err := s.queryTenants(ctx, s.pool, `SELECT id, name, policy, sender_rules, source, created_at FROM tenants WHERE id = $1`, id)
	if err != nil {
		return Tenant{}, err
	}
	if len(ts) == 0 {
		return Tenant{}, fmt.Errorf("tenant %s: %w", id, ErrNotFound)
	}
	return ts[0], nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (s *Store) queryTenants(ctx context.Context, q querier, sql string, args ...any) ([]Tenant, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("tenants: %w", err)
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		var t Tenant
		var policy, rules []byte
		if err := rows.Scan(&t.ID, &t.Name, &policy, &rules, &t.Source, &t.Created); err != nil {
			return nil, fmt.Errorf("tenants: %w", err)
		}
		if err := json.Unmarshal(policy, &t.Policy); err != nil {
			s.log.Error("tenant policy unreadable; defaults apply", "tenant", t.ID, "err", err)
		}
		if err := json.Unmarshal(rules, &t.SenderRules); err != nil {
			s.log.Error("tenant sender rules unreadable; built-in rules apply", "tenant", t.ID, "err", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}
