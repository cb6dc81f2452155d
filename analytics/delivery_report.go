package analytics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ternsms/tern/core"
)

// Dimension is what a delivery report groups by.
type Dimension uint8

const (
	DimCountry Dimension = iota + 1
	DimCarrier
	DimSender
	DimCategory
	DimCampaign
)

// column is the delivery_daily column of d.
func (d Dimension) column() string {
	switch d {
	case DimCountry:
		return "country"
	case DimCarrier:
		return "carrier"
	case DimSender:
		return "sender"
	case DimCategory:
		return "toString(category)"
	case DimCampaign:
		return "campaign_id"
	}
	return ""
}

// DeliveryRow is the traffic of one combination of grouped values; the
// dimensions not grouped by are empty. Each stage counts on its own day:
// accepted by accept time, submitted by submit time, final statuses by
// the time they were reached.
type DeliveryRow struct {
	Country, Carrier, Sender string
	Category                 core.Category
	CampaignID               string
	Totals
}

// DeliveryReport is a range of days' traffic grouped by dimensions.
type DeliveryReport struct {
	// From and To are the days covered: [From, To), midnights UTC.
	From, To time.Time
	// Rows are ordered by accepted messages, most first.
	Rows []DeliveryRow
}

// MaxReportDays bounds a delivery report's range.
const MaxReportDays = 400

// DeliveryRange rounds [from, to) out to whole UTC days; a zero to is now.
func DeliveryRange(from, to time.Time) (time.Time, time.Time) {
	if to.IsZero() {
		to = time.Now()
	}
	day := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	end := day(to)
	if !end.Equal(to.UTC()) {
		end = end.Add(24 * time.Hour)
	}
	return day(from), end
}

// DeliveryReport groups a tenant's traffic over the days of [from, to)
// (DeliveryRange) by dims, each at most once. It fails with
// ErrInvalidRange for an empty or too long range, and ErrReadLimited when
// the tenant has used its share of report queries.
func (s *Store) DeliveryReport(ctx context.Context, tenantID string, from, to time.Time, dims []Dimension) (DeliveryReport, error) {
	from, to = DeliveryRange(from, to)
	if !to.After(from) || to.Sub(from) > MaxReportDays*24*time.Hour {
		return DeliveryReport{}, badRequest("to", "the range %s to %s covers no day or more than %d days", from.Format(time.DateOnly), to.Format(time.DateOnly), MaxReportDays)
	}
	var cols []string
	seen := map[Dimension]bool{}
	for _, d := range dims {
		if d.column() == "" || seen[d] {
			return DeliveryReport{}, badRequest("group_by", "dimension %d is unknown or named twice", d)
		}
		seen[d] = true
		cols = append(cols, d.column())
	}
	release, err := s.reads.acquire(ctx, tenantID)
	if err != nil {
		return DeliveryReport{}, fmt.Errorf("delivery report: %w", err)
	}
	defer release()
	rows, err := s.deliveryRows(ctx, tenantID, from, to, dims, cols)
	if err != nil {
		return DeliveryReport{}, fmt.Errorf("delivery report: %w", err)
	}
	return DeliveryReport{From: from, To: to, Rows: rows}, nil
}

func (s *Store) deliveryRows(ctx context.Context, tenant string, from, to time.Time, dims []Dimension, cols []string) ([]DeliveryRow, error) {
	group := strings.Join(append(slices.Clone(cols), "stage", "status", "currency", "cost_currency"), ", ")
	lead := ""
	if len(cols) > 0 {
		lead = strings.Join(cols, ", ") + ", "
	}
	q, err := s.conn.Query(ctx, s.sql(`SELECT `+lead+sumColumns+`
		FROM {db}.delivery_daily WHERE tenant_id = ? AND day >= toDate(?) AND day < toDate(?)
		GROUP BY `+group), tenant, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	defer q.Close()
	byKey := map[string]*DeliveryRow{}
	for q.Next() {
		vals := make([]string, len(dims))
		dest := make([]any, len(dims))
		for i := range vals {
			dest[i] = &vals[i]
		}
		sum, err := scanFactSum(q, dest...)
		if err != nil {
			return nil, err
		}
		key := strings.Join(vals, "\x00")
		r := byKey[key]
		if r == nil {
			r = &DeliveryRow{}
			setDims(r, dims, vals)
			byKey[key] = r
		}
		r.add(sum)
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	out := make([]DeliveryRow, 0, len(byKey))
	for _, r := range byKey {
		r.done()
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b DeliveryRow) int {
		return cmp.Or(cmp.Compare(b.Funnel.Accepted, a.Funnel.Accepted), cmp.Compare(b.Funnel.Submitted, a.Funnel.Submitted),
			cmp.Compare(a.Country, b.Country), cmp.Compare(a.Carrier, b.Carrier), cmp.Compare(a.Sender, b.Sender),
			cmp.Compare(a.Category, b.Category), cmp.Compare(a.CampaignID, b.CampaignID))
	})
	return out, nil
}

func setDims(r *DeliveryRow, dims []Dimension, vals []string) {
	for i, d := range dims {
		switch d {
		case DimCountry:
			r.Country = vals[i]
		case DimCarrier:
			r.Carrier = vals[i]
		case DimSender:
			r.Sender = vals[i]
		case DimCategory:
			c, _ := strconv.Atoi(vals[i]) // toString of a UInt8
			r.Category = core.Category(c)
		case DimCampaign:
			r.CampaignID = vals[i]
		}
	}
}
