package gateway

import (
	"errors"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/pipeline"
)

// statusOf is the one place intake errors become command_status values:
// a field error answers for its field (a sender id the tenant does not
// own, or the destination's country refuses, ESME_RINVSRCADR), a
// recipient whose consent refuses the message ESME_RX_R_APPN (0x66, not
// to be retried), a queue that did not take the message asks the ESME to
// try again.
func statusOf(err error) smpp.CommandStatus {
	var fe *pipeline.FieldError
	switch {
	case err == nil:
		return smpp.StatusOK
	case consent.Reason(err) != "":
		return smpp.StatusRejectedAppError
	case errors.As(err, &fe):
		switch fe.Field {
		case "to":
			return smpp.StatusInvalidDestAddr
		case "from":
			return smpp.StatusInvalidSourceAddr
		case "body", "short_message":
			return smpp.StatusInvalidMsgLength
		case "send_at":
			return smpp.StatusInvalidScheduleTime
		case "validity":
			return smpp.StatusInvalidExpiry
		}
		return smpp.StatusSubmitFailed
	}
	// pipeline.ErrQueueUnavailable, pipeline.ErrClosed, timeouts: nothing
	// was queued, and trying again may work.
	return smpp.StatusSystemError
}
