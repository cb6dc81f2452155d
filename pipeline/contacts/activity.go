package contacts

import (
	"context"
	"fmt"
	"time"
)

// Delivered is a delivery receipt for a tenant's number.
type Delivered struct {
	Tenant string
	Phone  string
	At     time.Time
}

// Clicked is a tracked link's click by a tenant's contact.
type Clicked struct {
	Tenant  string
	Contact int64
	At      time.Time
}

// MarkDelivered moves the contacts' last_delivered_at forward, in one
// statement; an older time than the stored one changes nothing, so a
// receipt read twice or late is harmless. Numbers without a contact are
// ignored.
func (s *Store) MarkDelivered(ctx context.Context, ds []Delivered) error {
	latest := map[[2]string]time.Time{}
	for _, d := range ds {
		k := [2]string{d.Tenant, d.Phone}
		if d.At.After(latest[k]) {
			latest[k] = d.At
		}
	}
	tenants, phones, ats := make([]string, 0, len(latest)), make([]string, 0, len(latest)), make([]time.Time, 0, len(latest))
	for k, at := range latest {
		tenants, phones, ats = append(tenants, k[0]), append(phones, k[1]), append(ats, at)
	}
	if len(ats) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE contacts c SET last_delivered_at = x.at FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS x(t, p, at)
		WHERE c.tenant_id = x.t AND c.phone = x.p AND (c.last_delivered_at IS NULL OR c.last_delivered_at < x.at)`, tenants, phones, ats)
	if err != nil {
		return fmt.Errorf("mark delivered: %w", err)
	}
	return nil
}

// MarkClicked moves the contacts' last_clicked_at forward, as
// MarkDelivered does.
func (s *Store) MarkClicked(ctx context.Context, cs []Clicked) error {
	latest := map[int64]Clicked{}
	for _, c := range cs {
		if c.At.After(latest[c.Contact].At) {
			latest[c.Contact] = c
		}
	}
	tenants, ids, ats := make([]string, 0, len(latest)), make([]int64, 0, len(latest)), make([]time.Time, 0, len(latest))
	for id, c := range latest {
		tenants, ids, ats = append(tenants, c.Tenant), append(ids, id), append(ats, c.At)
	}
	if len(ats) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE contacts c SET last_clicked_at = x.at FROM unnest($1::text[], $2::int8[], $3::timestamptz[]) AS x(t, id, at)
		WHERE c.id = x.id AND c.tenant_id = x.t AND (c.last_clicked_at IS NULL OR c.last_clicked_at < x.at)`, tenants, ids, ats)
	if err != nil {
		return fmt.Errorf("mark clicked: %w", err)
	}
	return nil
}
