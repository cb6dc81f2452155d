package contacts

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// Audience selects contacts: members of any of ListIDs (every contact
// when none) that the segment SegmentID, or Filter, selects (all when
// neither).
type Audience struct {
	ListIDs   []int64
	SegmentID int64
	Filter    *ternv1.SegmentFilter
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

// Count counts the tenant's contacts of a, and of them those a marketing
// message may go to (opted in, not opted out or suppressed).
func (s *Store) Count(ctx context.Context, tenant string, a Audience) (total, sendable int64, err error) {
	q := newQuery(tenant, time.Now())
	w, err := s.where(ctx, q, a)
	if err != nil {
		return 0, 0, err
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE `+sendableSQL+`) FROM contacts c WHERE `+w, q.args...).Scan(&total, &sendable)
	if err != nil {
		return 0, 0, fmt.Errorf("count contacts: %w", err)
	}
	return total, sendable, nil
}
