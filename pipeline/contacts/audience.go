package contacts

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// Audience selects contacts: members of any of ListIDs (every contact
// when none) that the segment SegmentID, or Filter, selects (all when
// neither).
type Audience struct {
	ListIDs   []int64
	SegmentID int64
	Filter    *ternv1.SegmentFilter
	// SendableFor, when set, keeps only the contacts a message of this
	// category may go to by the consent ledger (opted in to marketing
	// for marketing; not opted out or suppressed for every category).
	SendableFor core.Category
}

// where compiles a's condition for tenant into q, resolving a stored
// segment; it starts with the tenant's own contacts.
func (s *Store) where(ctx context.Context, q *query, a Audience) (string, error) {
	w := "c.tenant_id = " + q.tenant
	if len(a.ListIDs) > 0 {
		if len(a.ListIDs) > MaxFilterValues {
			return "", invalid("list_ids", fmt.Sprintf("at most %d", MaxFilterValues))
		}
		w += " AND " + q.inLists(a.ListIDs)
	}
	f := a.Filter
	if a.SegmentID != 0 {
		sg, err := s.Segment(ctx, q.args[0].(string), a.SegmentID)
		if err != nil {
			return "", err
		}
		f = sg.Filter
	}
	if f != nil {
		cond, err := q.filter(f, "filter", 1)
		if err != nil {
			return "", err
		}
		w += " AND (" + cond + ")"
	}
	if a.SendableFor != core.CategoryUnspecified {
		w += " AND " + q.sendable(a.SendableFor)
	}
	return w, nil
}

// MaxPage is the most contacts one List returns.
const MaxPage = 1000

// List returns the tenant's contacts of a, by id, pageSize at a time
// (0 is 100) after the page token; next is "" after the last page.
func (s *Store) List(ctx context.Context, tenant string, a Audience, pageSize int, token string) ([]Contact, string, error) {
	if pageSize < 0 || pageSize > MaxPage {
		return nil, "", invalid("page_size", "0 to 1000")
	}
	if pageSize == 0 {
		pageSize = 100
	}
	var after int64
	if token != "" {
		var err error
		if after, err = strconv.ParseInt(token, 10, 64); err != nil || after < 0 {
			return nil, "", invalid("page_token", "not a token this call returned")
		}
	}
	out, err := s.Page(ctx, tenant, a, after, pageSize)
	if err != nil || len(out) < pageSize {
		return out, "", err
	}
	return out, strconv.FormatInt(out[len(out)-1].ID, 10), nil
}

// Page returns up to limit of the tenant's contacts of a with ids after
// after, by id: keyset pagination, so a page costs the same at the end
// of a million contacts as at the start.
func (s *Store) Page(ctx context.Context, tenant string, a Audience, after int64, limit int) ([]Contact, error) {
	q := newQuery(tenant, time.Now())
	w, err := s.where(ctx, q, a)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE `+w+` AND c.id > `+q.arg(after)+
		` ORDER BY c.id LIMIT `+q.arg(limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Contact, error) { return scanContact(r) })
}

// Count counts the tenant's contacts of a, and of them those a message
// of category cat may go to by the consent ledger (for marketing: opted
// in, not opted out or suppressed).
func (s *Store) Count(ctx context.Context, tenant string, a Audience, cat core.Category) (total, sendable int64, err error) {
	q := newQuery(tenant, time.Now())
	w, err := s.where(ctx, q, a)
	if err != nil {
		return 0, 0, err
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE `+q.sendable(cat)+`) FROM contacts c WHERE `+w, q.args...).Scan(&total, &sendable)
	if err != nil {
		return 0, 0, fmt.Errorf("count contacts: %w", err)
	}
	return total, sendable, nil
}

// CheckAudience reports what is wrong with a for the tenant: a filter's
// first problem (a *FieldError), or a segment or list it does not have
// (ErrNotFound).
func (s *Store) CheckAudience(ctx context.Context, tenant string, a Audience) error {
	if _, err := s.where(ctx, newQuery(tenant, time.Now()), a); err != nil {
		return err
	}
	if len(a.ListIDs) == 0 {
		return nil
	}
	var found int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM contact_lists WHERE tenant_id = $1 AND id = ANY($2)`, tenant, a.ListIDs).Scan(&found); err != nil {
		return fmt.Errorf("lists: %w", err)
	}
	if found != len(dedupe(a.ListIDs)) {
		return fmt.Errorf("list_ids: %w", ErrNotFound)
	}
	return nil
}
