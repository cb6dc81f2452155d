package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ternsms/tern/core"
)

// storedAccount is an account with its password hash.
type storedAccount struct {
	Account
	hash string
}

// AddAccount creates a with password. It fails with ErrAccountExists
// when the system_id is taken and ErrNumberTaken when a number belongs
// to another account.
func (s *Store) AddAccount(ctx context.Context, a Account, password string) error {
	return s.saveAccount(ctx, a, password, false)
}

// PutAccount creates a, or replaces the account of that system_id
// (settings, numbers and password).
func (s *Store) PutAccount(ctx context.Context, a Account, password string) error {
	return s.saveAccount(ctx, a, password, true)
}

func (s *Store) saveAccount(ctx context.Context, a Account, password string, replace bool) error {
	a = a.WithDefaults()
	if err := a.Validate(); err != nil {
		return err
	}
	if err := ValidatePassword(password); err != nil {
		return err
	}
	hash, err := hashPassword(password, s.iterations)
	if err != nil {
		return err
	}
	ips := make([]string, len(a.AllowedIPs))
	for i, p := range a.AllowedIPs {
		ips[i] = p.String()
	}
	q := `INSERT INTO smpp_accounts (system_id, password_hash, tenant_id, bind_limit, allowed_ips, throughput,
		category, dc0_latin1, max_queued, disabled)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	if replace {
		q += ` ON CONFLICT (system_id) DO UPDATE SET password_hash = EXCLUDED.password_hash,
			tenant_id = EXCLUDED.tenant_id, bind_limit = EXCLUDED.bind_limit, allowed_ips = EXCLUDED.allowed_ips,
			throughput = EXCLUDED.throughput, category = EXCLUDED.category, dc0_latin1 = EXCLUDED.dc0_latin1,
			max_queued = EXCLUDED.max_queued, disabled = EXCLUDED.disabled, updated_at = now()`
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, q, a.SystemID, hash, a.TenantID, a.BindLimit, ips, a.Throughput,
			int16(a.Category), a.Latin1, a.MaxQueued, a.Disabled); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM smpp_numbers WHERE system_id = $1", a.SystemID); err != nil {
			return err
		}
		if len(a.Numbers) > 0 {
			_, err := tx.Exec(ctx, `INSERT INTO smpp_numbers (number, system_id) SELECT n, $2 FROM unnest($1::text[]) n`,
				a.Numbers, a.SystemID)
			return err
		}
		return nil
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
		if pe.TableName == "smpp_numbers" {
			return fmt.Errorf("account %s: %w", a.SystemID, ErrNumberTaken)
		}
		return fmt.Errorf("account %s: %w", a.SystemID, ErrAccountExists)
	}
	if err != nil {
		return fmt.Errorf("save smpp account %s: %w", a.SystemID, err)
	}
	return nil
}

// DisableAccount stops an account from binding; the gateway unbinds its
// sessions within a heartbeat.
func (s *Store) DisableAccount(ctx context.Context, systemID string) error {
	tag, err := s.pool.Exec(ctx, "UPDATE smpp_accounts SET disabled = true, updated_at = now() WHERE system_id = $1", systemID)
	if err != nil {
		return fmt.Errorf("disable smpp account %s: %w", systemID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", systemID, ErrNoAccount)
	}
	return nil
}

// upgradeHash replaces an account's password hash with one of the same
// password at a higher work factor, unless the hash changed meanwhile. It
// reports whether it replaced it.
func (s *Store) upgradeHash(ctx context.Context, systemID, old, upgraded string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE smpp_accounts SET password_hash = $3, updated_at = now()
		WHERE system_id = $1 AND password_hash = $2`, systemID, old, upgraded)
	if err != nil {
		return false, fmt.Errorf("upgrade password hash of %s: %w", systemID, err)
	}
	return tag.RowsAffected() == 1, nil
}

const accountColumns = `a.system_id, a.password_hash, a.tenant_id, a.bind_limit, a.allowed_ips, a.throughput,
	a.category, a.dc0_latin1, a.max_queued, a.disabled, a.created_at,
	coalesce((SELECT array_agg(n.number ORDER BY n.number) FROM smpp_numbers n WHERE n.system_id = a.system_id), '{}')`

func scanAccount(row pgx.Row) (storedAccount, error) {
	var a storedAccount
	var ips []string
	var cat int16
	err := row.Scan(&a.SystemID, &a.hash, &a.TenantID, &a.BindLimit, &ips, &a.Throughput,
		&cat, &a.Latin1, &a.MaxQueued, &a.Disabled, &a.CreatedAt, &a.Numbers)
	if err != nil {
		return a, err
	}
	a.Category = core.Category(cat)
	for _, ip := range ips {
		if p, err := netip.ParsePrefix(ip); err == nil {
			a.AllowedIPs = append(a.AllowedIPs, p)
		}
	}
	return a, nil
}

// Accounts lists every account by system_id.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+accountColumns+" FROM smpp_accounts a ORDER BY a.system_id")
	if err != nil {
		return nil, fmt.Errorf("list smpp accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list smpp accounts: %w", err)
		}
		out = append(out, a.Account)
	}
	return out, rows.Err()
}

// account reads one account with its hash, ErrNoAccount when none.
func (s *Store) account(ctx context.Context, systemID string) (storedAccount, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, "SELECT "+accountColumns+" FROM smpp_accounts a WHERE a.system_id = $1", systemID))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, ErrNoAccount
	}
	if err != nil {
		return a, fmt.Errorf("smpp account %s: %w", systemID, err)
	}
	return a, nil
}

// accountsByID reads the accounts named, for the heartbeat's reload.
func (s *Store) accountsByID(ctx context.Context, ids []string) (map[string]storedAccount, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+accountColumns+" FROM smpp_accounts a WHERE a.system_id = ANY($1)", ids)
	if err != nil {
		return nil, fmt.Errorf("reload smpp accounts: %w", err)
	}
	defer rows.Close()
	out := make(map[string]storedAccount, len(ids))
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("reload smpp accounts: %w", err)
		}
		out[a.SystemID] = a
	}
	return out, rows.Err()
}
