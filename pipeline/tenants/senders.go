package tenants

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/sender"
)

// Sender is one sender id a tenant may send from.
type Sender struct {
	// ID as messages carry it: a number (E.164, digits, or a short code)
	// or an alphanumeric id.
	ID   string
	Kind sender.Kind
	// Countries the id is registered for (ISO 3166-1 alpha-2), where a
	// country requires registration; empty is none.
	Countries []string
	// Default: messages that name no sender go from this one. At most one
	// per tenant.
	Default bool
}

// checkSenders normalizes and validates a tenant's list.
func checkSenders(list []Sender) ([]Sender, error) {
	seen := map[string]bool{}
	defaults := 0
	out := make([]Sender, len(list))
	for i, sn := range list {
		sn.ID = strings.TrimSpace(sn.ID)
		sn.Kind = sender.Classify(sn.ID)
		field := fmt.Sprintf("senders[%d]", i)
		if sn.Kind == sender.KindUnknown {
			return nil, invalid(field, "not a sender id: up to 11 letters, digits and - . & _, a 3 to 8 digit short code, or a number")
		}
		norm := sender.Normalize(sn.ID)
		if seen[norm] {
			return nil, invalid(field, "listed twice")
		}
		seen[norm] = true
		for j, c := range sn.Countries {
			if len(c) != 2 {
				return nil, invalid(fmt.Sprintf("%s.countries[%d]", field, j), "not an ISO 3166-1 alpha-2 code")
			}
			sn.Countries[j] = strings.ToUpper(c)
		}
		if sn.Default {
			defaults++
		}
		out[i] = sn
	}
	if defaults > 1 {
		return nil, invalid("senders", "more than one default")
	}
	return out, nil
}

// SetSenders replaces tenant's sender ids with list. A number another
// tenant has is refused (ErrNumberTaken): replies to it could go to one
// tenant only.
func (s *Store) SetSenders(ctx context.Context, tenant string, list []Sender) error {
	list, err := checkSenders(list)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1)`, tenant).Scan(&exists); err != nil {
			return fmt.Errorf("set senders: %w", err)
		}
		if !exists {
			return fmt.Errorf("tenant %s: %w", tenant, ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM senders WHERE tenant_id = $1`, tenant); err != nil {
			return fmt.Errorf("set senders: %w", err)
		}
		return insertSenders(ctx, tx, tenant, list, false)
	})
}

// insertSenders adds list; with keep, ids the tenant has already and a
// default when it has one are left as they are.
func insertSenders(ctx context.Context, tx pgx.Tx, tenant string, list []Sender, keep bool) error {
	for i, sn := range list {
		sql := `INSERT INTO senders (tenant_id, norm, sender_id, kind, countries, is_default) VALUES ($1, $2, $3, $4, $5, $6)`
		if keep {
			sql = `INSERT INTO senders (tenant_id, norm, sender_id, kind, countries, is_default)
				SELECT $1, $2, $3, $4, $5, $6 AND NOT EXISTS (SELECT 1 FROM senders WHERE tenant_id = $1 AND is_default)
				ON CONFLICT (tenant_id, norm) DO NOTHING`
		}
		countries := sn.Countries
		if countries == nil {
			countries = []string{}
		}
		_, err := tx.Exec(ctx, sql, tenant, sender.Normalize(sn.ID), sn.ID, int16(sn.Kind), countries, sn.Default)
		if isUnique(err) {
			return fmt.Errorf("senders[%d]: %w", i, ErrNumberTaken)
		}
		if err != nil {
			return fmt.Errorf("senders[%d]: %w", i, err)
		}
	}
	return nil
}

// Senders lists tenant's sender ids, default first.
func (s *Store) Senders(ctx context.Context, tenant string) ([]Sender, error) {
	rows, err := s.pool.Query(ctx, `SELECT sender_id, kind, countries, is_default FROM senders
		WHERE tenant_id = $1 ORDER BY is_default DESC, norm`, tenant)
	if err != nil {
		return nil, fmt.Errorf("senders: %w", err)
	}
	defer rows.Close()
	var out []Sender
	for rows.Next() {
		var sn Sender
		var kind int16
		if err := rows.Scan(&sn.ID, &kind, &sn.Countries, &sn.Default); err != nil {
			return nil, fmt.Errorf("senders: %w", err)
		}
		sn.Kind = sender.Kind(kind)
		out = append(out, sn)
	}
	return out, rows.Err()
}
