package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
)

// MessageView is one message as its events describe it.
type MessageView struct {
	ID       string
	TenantID string
	// To is the recipient in E.164.
	To         string
	Region     string
	CampaignID string
	Category   core.Category
	// Status is the latest status: highest rank, then latest event, then
	// highest status.
	Status   core.Status
	Segments int
	Encoding gsm.Encoding
	// Carrier and CarrierMessageID come from the latest event that names a
	// carrier.
	Carrier          string
	CarrierMessageID string
	// Reason and ErrorCode are the latest status's.
	Reason    string
	ErrorCode string
	// AcceptedAt is when tern accepted the message (its QUEUED event).
	AcceptedAt time.Time
	// SubmittedAt is when a carrier first accepted it (its first SUBMITTED
	// event); zero before that.
	SubmittedAt time.Time
	// DoneAt is when it reached its final status; zero while in progress.
	DoneAt time.Time
	// UpdatedAt is the time of the latest status.
	UpdatedAt time.Time
}

// messageQuery folds one message's events into a MessageView. Without a
// GROUP BY it returns one row even when there are no events (count() = 0).
// Times are nanoseconds since the epoch; 0 means none.
const messageQuery = `SELECT
	count(),
	argMax(status, k),
	argMax(t, k),
	minIf(t, status = ?),
	minIf(t, status = ?),
	anyIf(recipient, recipient != ''),
	anyIf(region, region != ''),
	anyIf(campaign_id, campaign_id != ''),
	max(category),
	max(segments),
	max(encoding),
	argMaxIf(carrier, k, carrier != ''),
	argMaxIf(carrier_message_id, k, carrier_message_id != ''),
	argMax(reason, k),
	argMax(error_code, k)
FROM (
	SELECT *,
		toUInt64(event_time) * 1000000000 + event_ns AS t,
		` + latestKey + ` AS k
	FROM {db}.events
	WHERE tenant_id = ? AND message_id = ?
)`

// Message returns one of a tenant's messages as its events describe it, or
// ErrNotFound when there are none, or ErrReadLimited when the tenant has
// used its share of report queries.
func (s *Store) Message(ctx context.Context, tenantID, messageID string) (MessageView, error) {
	var (
		n                                      uint64
		status, category, encoding             uint8
		segments                               uint16
		updated, accepted, submitted           uint64
		to, region, campaign                   string
		carrier, carrierMsgID, reason, errCode string
	)
	release, err := s.reads.acquire(ctx, tenantID)
	if err != nil {
		return MessageView{}, fmt.Errorf("message %s: %w", messageID, err)
	}
	defer release()
	qerr := s.conn.QueryRow(ctx, s.sql(messageQuery),
		uint8(core.StatusQueued), uint8(core.StatusSubmitted), tenantID, messageID,
	).Scan(&n, &status, &updated, &accepted, &submitted, &to, &region, &campaign,
		&category, &segments, &encoding, &carrier, &carrierMsgID, &reason, &errCode)
	if qerr != nil {
		return MessageView{}, fmt.Errorf("message %s: %w", messageID, qerr)
	}
	if n == 0 {
		return MessageView{}, fmt.Errorf("message %s: %w", messageID, ErrNotFound)
	}
	v := MessageView{
		ID:               messageID,
		TenantID:         tenantID,
		To:               to,
		Region:           region,
		CampaignID:       campaign,
		Category:         core.Category(category),
		Status:           core.Status(status),
		Segments:         int(segments),
		Encoding:         gsm.Encoding(encoding),
		Carrier:          carrier,
		CarrierMessageID: carrierMsgID,
		Reason:           reason,
		ErrorCode:        errCode,
		AcceptedAt:       unixNano(accepted),
		SubmittedAt:      unixNano(submitted),
		UpdatedAt:        unixNano(updated),
	}
	if v.Status.Final() {
		v.DoneAt = v.UpdatedAt
	}
	return v, nil
}

func unixNano(ns uint64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(ns)).UTC()
}

func gsmEncoding(e uint8) gsm.Encoding { return gsm.Encoding(e) }
