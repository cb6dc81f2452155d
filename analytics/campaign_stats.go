package analytics

import (
	"context"
	"fmt"
	"strings"

	"github.com/ternsms/tern/core"
)

// CampaignStats counts a campaign's distinct messages. Accepted is every
// message seen for the campaign; the status counts split it by each
// message's latest status, so they add up to Accepted.
type CampaignStats struct {
	CampaignID  string
	Accepted    int64
	Queued      int64
	Submitted   int64
	Delivered   int64
	Undelivered int64
	Expired     int64
	Rejected    int64
	Failed      int64
	Unknown     int64
	Canceled    int64
	// Segments is the parts of all accepted messages, each message counted
	// once.
	Segments int64
}

// count returns the field that counts messages whose latest status is st.
func (c *CampaignStats) count(st core.Status) *int64 {
	switch st {
	case core.StatusQueued:
		return &c.Queued
	case core.StatusSubmitted:
		return &c.Submitted
	case core.StatusDelivered:
		return &c.Delivered
	case core.StatusUndelivered:
		return &c.Undelivered
	case core.StatusExpired:
		return &c.Expired
	case core.StatusRejected:
		return &c.Rejected
	case core.StatusFailed:
		return &c.Failed
	case core.StatusUnknown:
		return &c.Unknown
	case core.StatusCanceled:
		return &c.Canceled
	}
	return nil
}

// statsStatuses are the statuses CampaignStats counts, in query order.
var statsStatuses = []core.Status{
	core.StatusQueued, core.StatusSubmitted, core.StatusDelivered, core.StatusUndelivered,
	core.StatusExpired, core.StatusRejected, core.StatusFailed, core.StatusUnknown,
	core.StatusCanceled,
}

// campaignStatsQuery reads one range of campaign_messages: the inner query
// folds each message's rows (and any duplicates) into its latest status.
// Its columns are count(), one countIf per statsStatuses entry, sum(seg).
var campaignStatsQuery = func() string {
	var b strings.Builder
	b.WriteString("SELECT count()")
	for _, st := range statsStatuses {
		fmt.Fprintf(&b, ", countIf(st = %d)", st)
	}
	b.WriteString(`, sum(seg)
FROM (
	SELECT argMaxMerge(latest) AS st, maxMerge(segments) AS seg
	FROM {db}.campaign_messages
	WHERE tenant_id = ? AND campaign_id = ?
	GROUP BY message_id
)`)
	return b.String()
}()

// CampaignStats counts a tenant's campaign messages by their latest status.
// A campaign without messages has all counts zero. Only events that carry
// the campaign id count toward it. It fails with ErrReadLimited when the
// tenant has used its share of report queries.
func (s *Store) CampaignStats(ctx context.Context, tenantID, campaignID string) (CampaignStats, error) {
	release, err := s.reads.acquire(ctx, tenantID)
	if err != nil {
		return CampaignStats{}, fmt.Errorf("campaign stats %s: %w", campaignID, err)
	}
	defer release()
	n := make([]uint64, len(statsStatuses)+2)
	dest := make([]any, len(n))
	for i := range n {
		dest[i] = &n[i]
	}
	if err := s.conn.QueryRow(ctx, s.sql(campaignStatsQuery), tenantID, campaignID).Scan(dest...); err != nil {
		return CampaignStats{}, fmt.Errorf("campaign stats %s: %w", campaignID, err)
	}
	st := CampaignStats{CampaignID: campaignID, Accepted: int64(n[0]), Segments: int64(n[len(n)-1])}
	for i, status := range statsStatuses {
		*st.count(status) = int64(n[i+1])
	}
	return st, nil
}
