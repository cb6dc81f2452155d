package analytics

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Config says which ClickHouse to use and how to batch writes. Zero fields
// take the documented defaults.
type Config struct {
	// Addr is the native protocol endpoint, host:port (usually port 9000).
	// Several may be given, comma-separated; they are tried in order.
	// Required.
	Addr string
	// Database holds tern's tables; it is created when missing.
	// Default "tern".
	Database string
	// Username and Password authenticate. Default user "default", no password.
	Username string
	Password string
	// BatchSize is the most rows the writer inserts at once. Default 10000.
	BatchSize int
	// FlushInterval is the longest a row waits in a partial batch, and so
	// about how far the reports trail the topics. Default 1s: every insert
	// also feeds the tables' materialized views, so fewer, larger batches
	// cost ClickHouse less per message. Before that, the broker may hold
	// the writer's fetch for half as long (at most 250ms) to gather
	// records.
	FlushInterval time.Duration

	// MaxConns bounds the store's connections to ClickHouse. Default 16.
	MaxConns int
	// ReadConns bounds the report queries (Message, CampaignStats)
	// running at once over every tenant; more wait for their turn. The
	// other MaxConns-ReadConns connections stay free for the writer's
	// inserts. Default MaxConns-4; at most MaxConns-1.
	ReadConns int
	// TenantReads bounds the report queries one tenant runs at once; one
	// more fails at once with ErrReadLimited. Default 4.
	TenantReads int
	// TenantReadRate is the report queries one tenant may start a second,
	// in bursts of up to a second's worth (at least one); more fail at
	// once with ErrReadLimited. Default 100.
	TenantReadRate float64
}

// Defaults for Config.
const (
	DefaultDatabase      = "tern"
	DefaultBatchSize     = 10000
	DefaultFlushInterval = time.Second

	DefaultMaxConns       = 16
	DefaultTenantReads    = 4
	DefaultTenantReadRate = 100
	// writerConns is what ReadConns leaves the writer by default.
	writerConns = 4
)

// maxBatchSize bounds the memory one batch holds.
const maxBatchSize = 1_000_000

// identifier is what Database may be: it is spliced into statements.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate reports the first unusable field.
func (c Config) Validate() error {
	d := c.withDefaults()
	switch {
	case strings.TrimSpace(c.Addr) == "":
		return fmt.Errorf("%w: clickhouse addr is required", ErrInvalidConfig)
	case c.Database != "" && !identifier.MatchString(c.Database):
		return fmt.Errorf("%w: clickhouse database %q is not a plain identifier", ErrInvalidConfig, c.Database)
	case c.BatchSize < 0 || c.BatchSize > maxBatchSize:
		return fmt.Errorf("%w: batch size %d outside 0..%d", ErrInvalidConfig, c.BatchSize, maxBatchSize)
	case c.FlushInterval < 0:
		return fmt.Errorf("%w: flush interval %s is negative", ErrInvalidConfig, c.FlushInterval)
	case d.MaxConns < 2:
		return fmt.Errorf("%w: max conns %d: want at least 2", ErrInvalidConfig, c.MaxConns)
	case d.ReadConns < 1 || d.ReadConns >= d.MaxConns:
		return fmt.Errorf("%w: read conns %d: want 1 to max conns - 1 (%d)", ErrInvalidConfig, d.ReadConns, d.MaxConns-1)
	case c.TenantReads < 0:
		return fmt.Errorf("%w: tenant reads %d is negative", ErrInvalidConfig, c.TenantReads)
	case c.TenantReadRate < 0:
		return fmt.Errorf("%w: tenant read rate %v is negative", ErrInvalidConfig, c.TenantReadRate)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.ReadConns == 0 {
		c.ReadConns = max(1, c.MaxConns-writerConns)
	}
	if c.TenantReads == 0 {
		c.TenantReads = DefaultTenantReads
	}
	if c.TenantReadRate == 0 {
		c.TenantReadRate = DefaultTenantReadRate
	}
	return c
}

func (c Config) addrs() []string {
	var out []string
	for a := range strings.SplitSeq(c.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// KafkaConfig says where the writer reads records from.
type KafkaConfig struct {
	// Brokers are the seed brokers, host:port. Required.
	Brokers []string
	// SubmitTopic carries recordv1.Submit records. Required.
	SubmitTopic string
	// LaneTopics carry more of them: the pipeline's other lanes (OTP,
	// marketing). Optional.
	LaneTopics []string
	// EventsTopic carries recordv1.Event records. Required.
	EventsTopic string
	// EngagementsTopic carries recordv1.Engagement records: clicks,
	// orders, verifications. Optional.
	EngagementsTopic string
	// RepliesTopic carries recordv1.Reply records (pipeline/inbound); the
	// opt-outs among them are attributed to campaigns. Optional.
	RepliesTopic string
	// ClicksTopic carries recordv1.Click records (pipeline/campaigns'
	// tracked links, "tern.clicks"), AttributionsTopic recordv1.Attribution
	// records (pipeline/attribution, "tern.attributions") and VerifyTopic
	// recordv1.VerifyEvent records (pipeline/verify, "tern.verify"): each
	// becomes an engagement (a click, an order, a verification). Optional.
	ClicksTopic       string
	AttributionsTopic string
	VerifyTopic       string
	// GroupID is the consumer group; every instance of the writer shares it.
	// Default "tern-analytics".
	GroupID string
	// ClientOpts add to the Kafka client's options, e.g. SASL and TLS.
	ClientOpts []kgo.Opt
}

// DefaultGroupID is KafkaConfig's default consumer group.
const DefaultGroupID = "tern-analytics"

// Validate reports the first unusable field.
func (c KafkaConfig) Validate() error {
	switch {
	case len(c.Brokers) == 0:
		return fmt.Errorf("%w: kafka brokers are required", ErrInvalidConfig)
	case c.SubmitTopic == "":
		return fmt.Errorf("%w: submit topic is required", ErrInvalidConfig)
	case c.EventsTopic == "":
		return fmt.Errorf("%w: events topic is required", ErrInvalidConfig)
	case c.SubmitTopic == c.EventsTopic:
		return fmt.Errorf("%w: submit and events topic are both %q", ErrInvalidConfig, c.SubmitTopic)
	}
	seen := map[string]bool{c.SubmitTopic: true, c.EventsTopic: true}
	for _, t := range c.engagementTopics() {
		if seen[t] {
			return fmt.Errorf("%w: topic %q named twice", ErrInvalidConfig, t)
		}
		seen[t] = true
	}
	for _, t := range c.LaneTopics {
		if t == "" || seen[t] {
			return fmt.Errorf("%w: lane topic %q is empty or named twice", ErrInvalidConfig, t)
		}
		seen[t] = true
	}
	for _, b := range c.Brokers {
		if strings.TrimSpace(b) == "" {
			return fmt.Errorf("%w: empty kafka broker address", ErrInvalidConfig)
		}
	}
	return nil
}

// engagementTopics are the topics set among those whose records become
// engagements.
func (c KafkaConfig) engagementTopics() []string {
	var out []string
	for _, t := range []string{c.EngagementsTopic, c.RepliesTopic, c.ClicksTopic, c.AttributionsTopic, c.VerifyTopic} {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

func (c KafkaConfig) withDefaults() KafkaConfig {
	if c.GroupID == "" {
		c.GroupID = DefaultGroupID
	}
	return c
}
