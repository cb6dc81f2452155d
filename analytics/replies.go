package analytics

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// repliesTable holds one row per customer reply as pipeline/inbound read
// it and acted on it (the replies topic's Reply records): how replies
// divide among STOP, START, HELP and the rest, per tenant, number and
// day. It keeps neither the customer's number nor the text: those stay in
// PostgreSQL, where an erase (GDPR) removes them. A row inserted twice
// shares its sorting key with the first, and the queries count sources
// once. Created if missing, so it needs no migration of its own.
const repliesTable = `CREATE TABLE IF NOT EXISTS {db}.replies (
	tenant_id   String,
	received_at DateTime,
	to_number   String,
	intent      String,
	keyword     String,
	language    String,
	action      String,
	carrier     String,
	source      String,
	inserted_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(received_at)
ORDER BY (tenant_id, received_at, source)`

const insertReplies = `INSERT INTO {db}.replies (tenant_id, received_at, to_number, intent, keyword, language, action, carrier, source)`

// RepliesConfig says where the replies topic is.
type RepliesConfig struct {
	Brokers []string
	// Topic carries recordv1.Reply records, e.g. "tern.replies".
	Topic string
	// GroupID is the consumer group. Default "tern-analytics-replies".
	GroupID string
	// ClientOpts add to the Kafka client's options, e.g. SASL and TLS.
	ClientOpts []kgo.Opt
}

// RepliesWriter copies the replies topic into the replies table in
// batches, committing a batch's offsets once ClickHouse has it. A record
// that does not decode is logged and skipped; an insert that fails is
// retried until it succeeds or Run ends.
type RepliesWriter struct {
	store *Store
	cfg   RepliesConfig
	log   *slog.Logger
}

// NewRepliesWriter returns a writer of c's topic into store.
func NewRepliesWriter(store *Store, c RepliesConfig) *RepliesWriter {
	if c.GroupID == "" {
		c.GroupID = "tern-analytics-replies"
	}
	return &RepliesWriter{store: store, cfg: c, log: store.log.With("component", "analytics.replies")}
}

// Run creates the table if missing and consumes until ctx ends. Call it
// once.
func (w *RepliesWriter) Run(ctx context.Context) error {
	f := &tableFeed[recordv1.Reply, *recordv1.Reply]{what: "replies", brokers: w.cfg.Brokers, topic: w.cfg.Topic,
		group: w.cfg.GroupID, opts: w.cfg.ClientOpts, log: w.log, ensure: w.store.ensureReplies, insert: w.store.InsertReplies}
	return f.run(ctx)
}

func (s *Store) ensureReplies(ctx context.Context) error {
	if err := s.conn.Exec(ctx, s.sql(repliesTable)); err != nil {
		return fmt.Errorf("create replies table: %w", err)
	}
	return nil
}

// InsertReplies writes reply records to the replies table in one batch.
func (s *Store) InsertReplies(ctx context.Context, recs []*recordv1.Reply) error {
	if len(recs) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, s.sql(insertReplies))
	if err != nil {
		return fmt.Errorf("insert %d replies: %w", len(recs), err)
	}
	defer b.Abort() //nolint:errcheck // a no-op once sent
	for _, r := range recs {
		at := r.GetReceivedAt().AsTime().UTC()
		if err := b.Append(r.GetTenantId(), at, r.GetTo(), r.GetIntent(), r.GetKeyword(), r.GetLanguage(), r.GetAction(),
			r.GetCarrier(), r.GetSource()); err != nil {
			return fmt.Errorf("insert %d replies: %w", len(recs), err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d replies: %w", len(recs), err)
	}
	return nil
}

// ReplyCount is how many replies a tenant got with one reading and
// action.
type ReplyCount struct {
	Intent, Action string
	Replies        uint64
}

// ReplyCounts counts tenant's replies received since since, by intent
// and action, each MO record once.
func (s *Store) ReplyCounts(ctx context.Context, tenant string, since time.Time) ([]ReplyCount, error) {
	rows, err := s.conn.Query(ctx, s.sql(`SELECT intent, action, uniqExact(source) FROM {db}.replies
		WHERE tenant_id = ? AND received_at >= ? GROUP BY intent, action ORDER BY intent, action`), tenant, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("reply counts: %w", err)
	}
	defer rows.Close()
	var out []ReplyCount
	for rows.Next() {
		var c ReplyCount
		if err := rows.Scan(&c.Intent, &c.Action, &c.Replies); err != nil {
			return nil, fmt.Errorf("reply counts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
