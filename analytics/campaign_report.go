package analytics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ternsms/tern/core"
)

// CampaignReport is how one campaign did.
type CampaignReport struct {
	CampaignID string
	Totals
	// Timeline has one point per minute with any activity, oldest first.
	Timeline []TimelinePoint
	// ByCountry and ByCarrier break the totals down; accepted messages,
	// their segments and price count under carrier "" (no carrier is
	// chosen at acceptance).
	ByCountry, ByCarrier []Breakdown
	// ErrorCodes counts finished, undelivered messages by carrier, error
	// code and status, most frequent first.
	ErrorCodes                    []ErrorCodeCount
	AcceptToSubmit, SubmitToFinal Latency
	Engaged
}

// TimelinePoint is one minute of a campaign.
type TimelinePoint struct {
	Minute time.Time
	Totals
}

// Breakdown is the totals of one value of a dimension.
type Breakdown struct {
	Key string
	Totals
}

// ErrorCodeCount counts finished messages with one error code.
type ErrorCodeCount struct {
	Carrier, ErrorCode string
	Status             core.Status
	Messages           int64
}

// Engaged is what recipients did because of a campaign's messages.
type Engaged struct {
	// Clicks counts clicks, each once; ClickedMessages the messages with
	// any.
	Clicks, ClickedMessages int64
	// OptOuts are attributed by the number's last campaign message in the
	// OptOutWindow before the opt-out.
	OptOuts  int64
	Orders   int64
	Revenue  []Money
	Verified int64
}

// maxErrorCodes bounds CampaignReport.ErrorCodes.
const maxErrorCodes = 100

// CampaignReport reports on a tenant's campaign from the fact aggregates;
// a campaign without traffic has an empty report. It fails with
// ErrReadLimited when the tenant has used its share of report queries.
func (s *Store) CampaignReport(ctx context.Context, tenantID, campaignID string) (CampaignReport, error) {
	release, err := s.reads.acquire(ctx, tenantID)
	if err != nil {
		return CampaignReport{}, fmt.Errorf("campaign report %s: %w", campaignID, err)
	}
	defer release()
	r := CampaignReport{CampaignID: campaignID}
	for _, part := range []func(context.Context, string, string, *CampaignReport) error{
		s.campaignTimeline, s.campaignBreakdowns, s.campaignErrorCodes, s.campaignLatency, s.campaignEngagement,
	} {
		if err := part(ctx, tenantID, campaignID, &r); err != nil {
			return CampaignReport{}, fmt.Errorf("campaign report %s: %w", campaignID, err)
		}
	}
	return r, nil
}

// campaignTimeline fills in the totals and the timeline.
func (s *Store) campaignTimeline(ctx context.Context, tenant, campaign string, r *CampaignReport) error {
	rows, err := s.conn.Query(ctx, s.sql(`SELECT minute, `+sumColumns+`
		FROM {db}.campaign_minute WHERE tenant_id = ? AND campaign_id = ?
		GROUP BY minute, stage, status, currency, cost_currency
		ORDER BY minute`), tenant, campaign)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var minute time.Time
		sum, err := scanFactSum(rows, &minute)
		if err != nil {
			return err
		}
		if n := len(r.Timeline); n == 0 || !r.Timeline[n-1].Minute.Equal(minute) {
			r.Timeline = append(r.Timeline, TimelinePoint{Minute: minute.UTC()})
		}
		r.Timeline[len(r.Timeline)-1].add(sum)
		r.add(sum)
	}
	for i := range r.Timeline {
		r.Timeline[i].done()
	}
	r.done()
	return rows.Err()
}

// campaignBreakdowns fills in the breakdowns by country and by carrier.
func (s *Store) campaignBreakdowns(ctx context.Context, tenant, campaign string, r *CampaignReport) error {
	rows, err := s.conn.Query(ctx, s.sql(`SELECT country, carrier, `+sumColumns+`
		FROM {db}.delivery_daily WHERE tenant_id = ? AND campaign_id = ?
		GROUP BY country, carrier, stage, status, currency, cost_currency`), tenant, campaign)
	if err != nil {
		return err
	}
	defer rows.Close()
	countries, carriers := map[string]*Totals{}, map[string]*Totals{}
	for rows.Next() {
		var country, carrier string
		sum, err := scanFactSum(rows, &country, &carrier)
		if err != nil {
			return err
		}
		totalsOf(countries, country).add(sum)
		totalsOf(carriers, carrier).add(sum)
	}
	r.ByCountry, r.ByCarrier = breakdowns(countries), breakdowns(carriers)
	return rows.Err()
}

func totalsOf(m map[string]*Totals, key string) *Totals {
	t := m[key]
	if t == nil {
		t = &Totals{}
		m[key] = t
	}
	return t
}

// breakdowns orders m's entries by accepted messages, then by key.
func breakdowns(m map[string]*Totals) []Breakdown {
	out := make([]Breakdown, 0, len(m))
	for k, t := range m {
		t.done()
		out = append(out, Breakdown{Key: k, Totals: *t})
	}
	slices.SortFunc(out, func(a, b Breakdown) int {
		return cmp.Or(cmp.Compare(b.Funnel.Accepted+b.Funnel.Submitted, a.Funnel.Accepted+a.Funnel.Submitted), cmp.Compare(a.Key, b.Key))
	})
	return out
}

func (s *Store) campaignErrorCodes(ctx context.Context, tenant, campaign string, r *CampaignReport) error {
	rows, err := s.conn.Query(ctx, s.sql(`SELECT carrier, error_code, status, sum(messages) AS n
		FROM {db}.error_codes WHERE tenant_id = ? AND campaign_id = ?
		GROUP BY carrier, error_code, status HAVING n > 0
		ORDER BY n DESC, carrier, error_code, status LIMIT ?`), tenant, campaign, maxErrorCodes)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c ErrorCodeCount
		var st uint8
		if err := rows.Scan(&c.Carrier, &c.ErrorCode, &st, &c.Messages); err != nil {
			return err
		}
		c.Status = core.Status(st)
		r.ErrorCodes = append(r.ErrorCodes, c)
	}
	return rows.Err()
}

func (s *Store) campaignLatency(ctx context.Context, tenant, campaign string, r *CampaignReport) error {
	rows, err := s.conn.Query(ctx, s.sql(`SELECT stage, countMerge(samples), quantilesTDigestMerge(0.5, 0.95, 0.99)(quantiles)
		FROM {db}.latency WHERE tenant_id = ? AND campaign_id = ?
		GROUP BY stage`), tenant, campaign)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var stg uint8
		var n uint64
		var q []float32
		if err := rows.Scan(&stg, &n, &q); err != nil {
			return err
		}
		l := latencyOf(n, q)
		switch stage(stg) {
		case stageSubmitted:
			r.AcceptToSubmit = l
		case stageFinal:
			r.SubmitToFinal = l
		}
	}
	return rows.Err()
}

func latencyOf(n uint64, q []float32) Latency {
	l := Latency{Samples: int64(n)}
	if n == 0 || len(q) != 3 {
		return l
	}
	ms := func(v float32) time.Duration {
		return time.Duration(float64(v) * float64(time.Millisecond)).Round(time.Millisecond)
	}
	l.P50, l.P95, l.P99 = ms(q[0]), ms(q[1]), ms(q[2])
	return l
}

// campaignEngagement counts each engagement id once per kind.
func (s *Store) campaignEngagement(ctx context.Context, tenant, campaign string, r *CampaignReport) error {
	rows, err := s.conn.Query(ctx, s.sql(`SELECT kind, currency, count(), sum(amount), uniqExactIf(message_id, message_id != '')
		FROM (
			SELECT kind, id, any(amount_micros) AS amount, any(currency) AS currency, any(message_id) AS message_id
			FROM {db}.engagements WHERE tenant_id = ? AND campaign_id = ?
			GROUP BY kind, id
		)
		GROUP BY kind, currency`), tenant, campaign)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var kind uint8
		var currency string
		var n, msgs uint64
		var amount int64
		if err := rows.Scan(&kind, &currency, &n, &amount, &msgs); err != nil {
			return err
		}
		switch EngagementKind(kind) {
		case EngagementClick:
			r.Clicks += int64(n)
			r.ClickedMessages += int64(msgs)
		case EngagementOptOut:
			r.OptOuts += int64(n)
		case EngagementOrder:
			r.Orders += int64(n)
			r.Revenue = addMoney(r.Revenue, currency, amount)
		case EngagementVerified:
			r.Verified += int64(n)
		}
	}
	return rows.Err()
}
