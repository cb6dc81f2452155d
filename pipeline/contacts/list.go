package contacts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// MaxMembers is the most contacts one AddMembers or RemoveMembers takes.
const MaxMembers = 10_000

// List is a static list of contacts.
type List struct {
	ID      int64
	Tenant  string
	Name    string
	Size    int64
	Created time.Time
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxName {
		return "", invalid("name", fmt.Sprintf("1 to %d characters of UTF-8", MaxName))
	}
	return name, nil
}

// CreateList creates a list named name.
func (s *Store) CreateList(ctx context.Context, tenant, name string) (List, error) {
	name, err := checkName(name)
	if err != nil {
		return List{}, err
	}
	l := List{Tenant: tenant, Name: name}
	err = s.pool.QueryRow(ctx, `INSERT INTO contact_lists (tenant_id, name) VALUES ($1, $2) RETURNING id, created_at`, tenant, name).Scan(&l.ID, &l.Created)
	if isUnique(err) {
		return l, fmt.Errorf("list: %w", ErrExists)
	}
	if err != nil {
		return l, fmt.Errorf("create list: %w", err)
	}
	return l, nil
}

// ensureList returns the id of the tenant's list named name, creating
// it when missing.
func ensureList(ctx context.Context, tx pgx.Tx, tenant, name string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `WITH ins AS (INSERT INTO contact_lists (tenant_id, name) VALUES ($1, $2) ON CONFLICT (tenant_id, name) DO NOTHING RETURNING id)
		SELECT id FROM ins UNION ALL SELECT id FROM contact_lists WHERE tenant_id = $1 AND name = $2`, tenant, name).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("list %q: %w", name, err)
	}
	return id, nil
}

// Lists returns the tenant's lists by name, with their sizes.
func (s *Store) Lists(ctx context.Context, tenant string) ([]List, error) {
	rows, err := s.pool.Query(ctx, `SELECT l.id, l.name, l.created_at, (SELECT count(*) FROM contact_list_members m WHERE m.list_id = l.id)
		FROM contact_lists l WHERE l.tenant_id = $1 ORDER BY l.name`, tenant)
	if err != nil {
		return nil, fmt.Errorf("lists: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (List, error) {
		l := List{Tenant: tenant}
		return l, r.Scan(&l.ID, &l.Name, &l.Created, &l.Size)
	})
}

// DeleteList deletes a list and its memberships, not its contacts.
func (s *Store) DeleteList(ctx context.Context, tenant string, id int64) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM contact_lists WHERE tenant_id = $1 AND id = $2`, tenant, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("list %d: %w", id, ErrNotFound)
		}
		_, err = tx.Exec(ctx, `DELETE FROM contact_list_members WHERE list_id = $1`, id)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete list: %w", err)
	}
	return err
}

// AddMembers adds the tenant's contacts to its list and returns how many
// were not members yet. Ids of other tenants' contacts are ignored.
func (s *Store) AddMembers(ctx context.Context, tenant string, list int64, contacts []int64) (int64, error) {
	if len(contacts) > MaxMembers {
		return 0, invalid("contact_ids", fmt.Sprintf("at most %d", MaxMembers))
	}
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return addMembers(ctx, tx, tenant, []int64{list}, contacts, &n)
	})
	return n, err
}

// addMembers adds contacts to lists, both the tenant's, counting the new
// memberships into added when not nil. A list that is not the tenant's is
// ErrNotFound.
func addMembers(ctx context.Context, tx pgx.Tx, tenant string, lists, contacts []int64, added *int64) error {
	if len(lists) == 0 || len(contacts) == 0 {
		return nil
	}
	var found int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM contact_lists WHERE tenant_id = $1 AND id = ANY($2)`, tenant, lists).Scan(&found); err != nil {
		return fmt.Errorf("lists: %w", err)
	}
	if found != len(dedupe(lists)) {
		return fmt.Errorf("list_ids: %w", ErrNotFound)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO contact_list_members (list_id, contact_id, tenant_id)
		SELECT l, c.id, $1 FROM unnest($2::bigint[]) AS l, contacts c WHERE c.tenant_id = $1 AND c.id = ANY($3)
		ON CONFLICT DO NOTHING`, tenant, lists, contacts)
	if err != nil {
		return fmt.Errorf("add list members: %w", err)
	}
	if added != nil {
		*added += tag.RowsAffected()
	}
	return nil
}

// RemoveMembers takes contacts out of a list and returns how many were
// members.
func (s *Store) RemoveMembers(ctx context.Context, tenant string, list int64, contacts []int64) (int64, error) {
	if len(contacts) > MaxMembers {
		return 0, invalid("contact_ids", fmt.Sprintf("at most %d", MaxMembers))
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM contact_list_members WHERE tenant_id = $1 AND list_id = $2 AND contact_id = ANY($3)`, tenant, list, contacts)
	if err != nil {
		return 0, fmt.Errorf("remove list members: %w", err)
	}
	return tag.RowsAffected(), nil
}

func dedupe(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
