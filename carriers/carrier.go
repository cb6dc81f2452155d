package carriers

import (
	"context"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
)

// Carrier hands messages to one carrier connection.
//
// Submit blocks until the carrier answered, ctx ended, or the answer is
// known to be lost. It is safe for concurrent use; implementations bound
// how many submits are on the wire and make further callers wait.
type Carrier interface {
	Name() string
	Submit(ctx context.Context, s *Submission) (Accepted, error)
}

// Submission is one message as a carrier sees it.
type Submission struct {
	// MessageID is tern's id, for logs. Carriers never learn it.
	MessageID string
	// To is the recipient in E.164, with the leading '+'.
	To string
	// From is the sender id: a number (E.164 or short code) or alphanumeric.
	From string
	Text string
	// Coding selects how Text is encoded and split.
	Coding gsm.Options
	// RegisteredDelivery asks the carrier for a delivery receipt.
	RegisteredDelivery bool
	// ValidUntil, if set, is when the carrier should stop trying.
	ValidUntil time.Time
	// Priority orders the submissions waiting for the same connection,
	// e.g. for its TPS: a higher one goes first, equal ones in their order.
	Priority Priority
	// Raw, when set, is a short_message the sender encoded itself (a
	// customer's submit_sm through tern's SMPP gateway, possibly one part
	// of the customer's own concatenated message): it goes to the carrier
	// as one PDU, as it is, instead of Text and Coding.
	Raw *Raw
}

// Raw is a pre-encoded short message.
type Raw struct {
	// DataCoding is the SMPP data_coding of ShortMessage.
	DataCoding byte
	// UDHI: ShortMessage starts with a user data header (esm_class 0x40).
	UDHI bool
	// ShortMessage is the user data, header included when UDHI.
	ShortMessage []byte
}

// Priority ranks a submission among those waiting for one connection.
type Priority int8

// Priorities, by the message's category: a login code must not wait for
// an order update, nor an order update for a campaign.
const (
	PriorityBulk   Priority = -1 // marketing
	PriorityNormal Priority = 0  // order updates and other transactional messages
	PriorityUrgent Priority = 1  // login codes
)

// Rank places p among the priorities, most urgent first: 0 for
// PriorityUrgent (and above), 2 for PriorityBulk (and below). Queues keep
// one list per rank.
func (p Priority) Rank() int {
	return int(PriorityUrgent - min(max(p, PriorityBulk), PriorityUrgent))
}

// Ranks is the number of ranks.
const Ranks = 3

// Accepted is the carrier's answer to a successful submit.
type Accepted struct {
	// IDs are the carrier's message ids, one per part sent, in part order,
	// normalized with NormalizeID, or as the carrier's declared id format
	// says (smpp.IDFormat); either way a Receipt for the same part from
	// the same carrier has an equal ID.
	IDs []string
}

// Receipt is a carrier's delivery report for one submitted part.
type Receipt struct {
	// Carrier names the connection the receipt came from.
	Carrier string
	// ID is the carrier's message id, normalized as Accepted.IDs are.
	ID string
	// Status is State mapped onto tern's statuses (core.ReceiptStatus).
	Status core.Status
	// State is the carrier's state word, e.g. DELIVRD.
	State string
	// Err is the carrier's error code, "" or "000" when none.
	Err string
	// Done is when the carrier reached the state; zero if not reported.
	Done time.Time
	// Received is when tern received the receipt; zero if not known.
	// Together with the carrier and id it tells one receipt from another
	// for the same id.
	Received time.Time
}

// Inbound is a mobile-originated message: a customer's reply.
type Inbound struct {
	Carrier  string
	From     string // E.164 of the customer
	To       string // our number or short code
	Text     string
	Received time.Time
}
