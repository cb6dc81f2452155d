package twilio

import (
	"time"

	"github.com/ternsms/tern/core"
)

// Twilio's message statuses, as the surface reports them. tern never
// reports "sending" (a message goes from queued to sent when a carrier
// accepts it), "accepted", "receiving", "received" or "read".
const (
	StatusQueued      = "queued"
	StatusScheduled   = "scheduled"
	StatusSent        = "sent"
	StatusDelivered   = "delivered"
	StatusUndelivered = "undelivered"
	StatusFailed      = "failed"
	StatusCanceled    = "canceled"
)

// Twilio's delivery error codes the surface reports.
const (
	CodeUnreachable     = 30003 // Unreachable destination handset
	CodeFiltered        = 30007 // Message filtered by the carrier
	CodeUnknown         = 30008 // Unknown error
	CodeValidityExpired = 30036 // Validity period expired
)

// Status is how Twilio would call a message in tern status s: sent
// tells whether a carrier ever had it, sendAt is its scheduled time
// (zero when none) and now the time of asking. errCode is Twilio's
// error code for a message that did not arrive, else 0.
func Status(s core.Status, sent bool, sendAt, now time.Time) (status string, errCode int) {
	switch s {
	case core.StatusQueued, core.StatusUnspecified:
		if sendAt.After(now) {
			return StatusScheduled, 0
		}
		return StatusQueued, 0
	case core.StatusSubmitted, core.StatusUnknown:
		return StatusSent, 0
	case core.StatusDelivered:
		return StatusDelivered, 0
	case core.StatusUndelivered:
		return StatusUndelivered, CodeUnreachable
	case core.StatusExpired:
		if sent {
			return StatusUndelivered, CodeUnreachable
		}
		return StatusFailed, CodeValidityExpired
	case core.StatusRejected:
		return StatusFailed, CodeFiltered
	case core.StatusCanceled:
		return StatusCanceled, 0
	}
	return StatusFailed, CodeUnknown
}

// Final reports whether a message in Twilio status s changes no more.
func Final(s string) bool {
	switch s {
	case StatusDelivered, StatusUndelivered, StatusFailed, StatusCanceled:
		return true
	}
	return false
}
