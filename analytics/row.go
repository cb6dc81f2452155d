package analytics

import (
	"fmt"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
)

// Row is one status event of one message: one row of the events table.
type Row struct {
	TenantID   string
	MessageID  string
	CampaignID string
	Status     core.Status
	// Time is when the message reached Status; kept to the nanosecond so
	// events within one second still order.
	Time time.Time
	// Recipient in E.164.
	Recipient string
	// Region is the recipient's ISO 3166-1 alpha-2 region.
	Region           string
	Segments         int
	Encoding         gsm.Encoding
	Category         core.Category
	Carrier          string
	CarrierMessageID string
	ErrorCode        string
	Reason           string

	// Submit: the row is the message's Submit record, its acceptance.
	// Only a Submit makes the accepted fact (QUEUED events of deferrals
	// and retries do not).
	Submit bool
	// Origin is the front door or feature that sent the message
	// ("campaign/ID", "flow/ID", "smpp/SYSTEM_ID", …); FlowID is a flow's
	// id from it.
	Origin string
	FlowID string
	// Sender is the message's sender id.
	Sender string
	// PriceMicros is what the tenant is charged for the message, in
	// millionths of Currency; CostMicros what the carrier charges for it
	// (on the carrier's accept), in CostCurrency.
	PriceMicros  int64
	Currency     string
	CostMicros   int64
	CostCurrency string
	// AcceptedAt is when tern accepted the message, on the events that
	// carry it; zero on the others. It is not a column: a submitted fact
	// without its accepted one takes its latency from it.
	AcceptedAt time.Time
}

// maxSegments is the most parts a concatenated SMS can have (an 8-bit
// count in the user data header), with room to spare for the column.
const maxSegments = 1<<16 - 1

// Validate reports ErrInvalidRow for a row no query could place: without
// tenant or message id, with a status outside the known ones, or without a
// time.
func (r Row) Validate() error {
	switch {
	case r.TenantID == "":
		return fmt.Errorf("%w: message %q: no tenant id", ErrInvalidRow, r.MessageID)
	case r.MessageID == "":
		return fmt.Errorf("%w: no message id", ErrInvalidRow)
	case r.Status.Rank() == 0:
		return fmt.Errorf("%w: message %q: status %s", ErrInvalidRow, r.MessageID, r.Status)
	case r.Time.IsZero() || r.Time.Unix() < 0 || r.Time.Unix() > 1<<32-1:
		// DateTime is unsigned 32-bit seconds.
		return fmt.Errorf("%w: message %q: time %s out of range", ErrInvalidRow, r.MessageID, r.Time)
	case r.Segments < 0 || r.Segments > maxSegments:
		return fmt.Errorf("%w: message %q: %d segments", ErrInvalidRow, r.MessageID, r.Segments)
	}
	return nil
}
