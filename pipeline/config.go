package pipeline

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
)

// Topics names the Kafka topics tern uses.
type Topics struct {
	// Submit carries accepted transactional messages (order updates),
	// keyed by recipient. Default "tern.submit".
	Submit string
	// OTP carries accepted login codes, keyed by recipient: a lane of
	// their own, so that a burst of order updates never stands between a
	// customer and their code. Default "tern.submit.otp".
	OTP string
	// Marketing carries accepted marketing messages, keyed by recipient:
	// a lane of their own, so that a campaign's backlog never stands
	// between a login code or an order update and the carrier. Default
	// "tern.submit.marketing".
	Marketing string
	// Events carries status changes, keyed by message id. Default "tern.events".
	Events string
	// Receipts carries carrier receipts before they are joined, keyed by
	// carrier message id. Default "tern.receipts".
	Receipts string
	// MO carries customers' replies, keyed by the customer's number.
	// Default "tern.mo".
	MO string
	// DLQ carries records that could not be processed, with the reason in
	// their headers. Default "tern.dlq".
	DLQ string
	// Suppressions carries every consent state change, keyed by the
	// number's hash (pipeline/consent): compacted, so that the latest
	// record of a key is its state. Default "tern.suppressions".
	Suppressions string
	// Replies carries each customer reply with its reading and what tern
	// did about it (pipeline/inbound), for analytics. Default
	// "tern.replies".
	Replies string
	// Verify carries a record of each verification started, checked or
	// refused (pipeline/verify), for analytics. Default "tern.verify".
	Verify string
	// StoreEvents carries the stores' events (pipeline/storeevents), keyed
	// by tenant and customer. Default "tern.store-events".
	StoreEvents string
	// FlowRuns carries the ends of flow runs (pipeline/flows), keyed by
	// tenant. Default "tern.flow-runs".
	FlowRuns string
	// Attributions carries orders credited to a campaign or flow
	// (pipeline/attribution), keyed by tenant. Default "tern.attributions".
	Attributions string
	// Clicks carries tracked links' clicks (pipeline/campaigns), keyed by
	// the link's code, for analytics; deleted after seven days. Default
	// "tern.clicks".
	Clicks string
}

// KafkaConfig says where Kafka is and how tern's topics are laid out.
type KafkaConfig struct {
	Brokers []string
	// SASL, when set, authenticates every connection (SCRAM).
	SASL *SASL
	// TLS, when set, encrypts every connection.
	TLS    *tls.Config
	Topics Topics
	// Partitions per topic when tern creates them. Default 16.
	Partitions int
	// ReplicationFactor when tern creates topics. Default 1.
	ReplicationFactor int
	// GroupID of the submit consumers. Default "tern-pipeline".
	GroupID string
	// ReceiptsGroupID of the receipt joiners. Default "tern-receipts".
	ReceiptsGroupID string
	// BatchTimeout bounds how long a produced record waits for others to
	// share its request, where someone waits for the answer: a Send, or a
	// carrier waiting for its receipt to be acknowledged. Default 1ms: a
	// lone record is not held back.
	BatchTimeout time.Duration
	// InternalBatchTimeout is the same for the pipeline's own events:
	// nobody waits on one alone, so they gather longer into fewer, bigger
	// batches. Each partition's batch is a write for the broker and a read
	// for each consumer of the events (analytics, the SMPP gateway), so at
	// a steady rate longer batches save many small ones. Default 20ms,
	// well under the waits of those consumers' fetches.
	InternalBatchTimeout time.Duration
}

// WithDefaults returns c with zero fields set to their defaults.
func (c KafkaConfig) WithDefaults() KafkaConfig {
	if c.Topics.Submit == "" {
		c.Topics.Submit = "tern.submit"
	}
	if c.Topics.OTP == "" {
		c.Topics.OTP = "tern.submit.otp"
	}
	if c.Topics.Marketing == "" {
		c.Topics.Marketing = "tern.submit.marketing"
	}
	if c.Topics.Events == "" {
		c.Topics.Events = "tern.events"
	}
	if c.Topics.Receipts == "" {
		c.Topics.Receipts = "tern.receipts"
	}
	if c.Topics.MO == "" {
		c.Topics.MO = "tern.mo"
	}
	if c.Topics.DLQ == "" {
		c.Topics.DLQ = "tern.dlq"
	}
	if c.Topics.Suppressions == "" {
		c.Topics.Suppressions = "tern.suppressions"
	}
	if c.Topics.Replies == "" {
		c.Topics.Replies = "tern.replies"
	}
	if c.Topics.Verify == "" {
		c.Topics.Verify = "tern.verify"
	}
	if c.Topics.StoreEvents == "" {
		c.Topics.StoreEvents = "tern.store-events"
	}
	if c.Topics.FlowRuns == "" {
		c.Topics.FlowRuns = "tern.flow-runs"
	}
	if c.Topics.Attributions == "" {
		c.Topics.Attributions = "tern.attributions"
	}
	if c.Topics.Clicks == "" {
		c.Topics.Clicks = "tern.clicks"
	}
	if c.Partitions == 0 {
		c.Partitions = 16
	}
	if c.ReplicationFactor == 0 {
		c.ReplicationFactor = 1
	}
	if c.GroupID == "" {
		c.GroupID = "tern-pipeline"
	}
	if c.ReceiptsGroupID == "" {
		c.ReceiptsGroupID = "tern-receipts"
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = time.Millisecond
	}
	if c.InternalBatchTimeout == 0 {
		c.InternalBatchTimeout = 20 * time.Millisecond
	}
	return c
}

// Validate reports the first problem with c.
func (c KafkaConfig) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("kafka: no brokers")
	}
	if c.Partitions < 1 {
		return fmt.Errorf("kafka: %d partitions, want at least 1", c.Partitions)
	}
	if c.ReplicationFactor < 1 {
		return fmt.Errorf("kafka: replication factor %d, want at least 1", c.ReplicationFactor)
	}
	if c.SASL != nil {
		if err := c.SASL.validate(); err != nil {
			return err
		}
	}
	if t := c.Topics; t.OTP == t.Submit || t.Marketing == t.Submit || t.OTP == t.Marketing {
		return fmt.Errorf("kafka: submit topics %q (transactional), %q (OTP) and %q (marketing) are not all different; each lane needs its own", t.Submit, t.OTP, t.Marketing)
	}
	return nil
}

// submitTopics are the topics accepted messages wait in, one per lane:
// OTP, transactional, marketing.
func (c KafkaConfig) submitTopics() []string {
	return []string{c.Topics.OTP, c.Topics.Submit, c.Topics.Marketing}
}

// submitTopic is the lane a message of category cat waits in: one per
// carrier priority (priorityOf).
func (t Topics) submitTopic(cat core.Category) string {
	switch priorityOf(cat) {
	case carriers.PriorityUrgent:
		return t.OTP
	case carriers.PriorityBulk:
		return t.Marketing
	}
	return t.Submit
}
