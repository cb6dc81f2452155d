package analytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// clicksTable holds one row per tracked-link click (the clicks topic's
// Click records): campaign, contact, message, code, link and time. A
// record inserted twice has the same code and time (in milliseconds,
// clicked_ms) as the first, and the queries count each (code, time) once. Created if missing, so it needs
// no migration of its own.
const clicksTable = `CREATE TABLE IF NOT EXISTS {db}.clicks (
	tenant_id   String,
	campaign_id String,
	contact_id  Int64,
	message_id  String,
	code        String,
	link_index  Int32,
	url         String,
	clicked_at  DateTime,
	clicked_ms  Int64,
	user_agent  String,
	inserted_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(clicked_at)
ORDER BY (tenant_id, campaign_id, code, clicked_ms)`

const insertClicks = `INSERT INTO {db}.clicks (tenant_id, campaign_id, contact_id, message_id, code, link_index, url, clicked_at, clicked_ms, user_agent)`

// ClicksConfig says where the clicks topic is.
type ClicksConfig struct {
	Brokers []string
	// Topic carries recordv1.Click records, e.g. "tern.clicks".
	Topic string
	// GroupID is the consumer group. Default "tern-analytics-clicks".
	GroupID string
	// ClientOpts add to the Kafka client's options, e.g. SASL and TLS.
	ClientOpts []kgo.Opt
}

// ClicksWriter copies the clicks topic into the clicks table in batches,
// committing a batch's offsets once ClickHouse has it. A record that
// does not decode is logged and skipped; an insert that fails is retried
// until it succeeds or Run ends.
type ClicksWriter struct {
	store *Store
	cfg   ClicksConfig
	log   *slog.Logger
}

// NewClicksWriter returns a writer of c's topic into store.
func NewClicksWriter(store *Store, c ClicksConfig) *ClicksWriter {
	if c.GroupID == "" {
		c.GroupID = "tern-analytics-clicks"
	}
	return &ClicksWriter{store: store, cfg: c, log: store.log.With("component", "analytics.clicks")}
}

// Run creates the table if missing and consumes until ctx ends. Call it
// once.
func (w *ClicksWriter) Run(ctx context.Context) error {
	if len(w.cfg.Brokers) == 0 || w.cfg.Topic == "" {
		return fmt.Errorf("%w: clicks writer needs brokers and a topic", ErrInvalidConfig)
	}
	if err := w.store.ensureClicks(ctx); err != nil {
		return err
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(w.cfg.Brokers...),
		kgo.ConsumerGroup(w.cfg.GroupID),
		kgo.ConsumeTopics(w.cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(fetchMaxWait),
		kgo.WithLogger(kgoLogger{w.log}),
	}, w.cfg.ClientOpts...)...)
	if err != nil {
		return fmt.Errorf("clicks writer: kafka consumer: %w", err)
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return nil
		}
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				w.log.Warn("fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		recs := fs.Records()
		if len(recs) == 0 {
			continue
		}
		if !w.insert(ctx, recs) {
			return nil
		}
		if err := cl.CommitRecords(ctx, recs...); err != nil && ctx.Err() == nil {
			w.log.Warn("commit", "err", err) // inserted again later; counted once
		}
	}
}

// insert writes recs' rows, retrying until ClickHouse takes them; false
// when ctx ended first.
func (w *ClicksWriter) insert(ctx context.Context, recs []*kgo.Record) bool {
	rows := make([]*recordv1.Click, 0, len(recs))
	for _, r := range recs {
		var c recordv1.Click
		if err := proto.Unmarshal(r.Value, &c); err != nil {
			w.log.Warn("skipping undecodable click record", "partition", r.Partition, "offset", r.Offset, "err", err)
			continue
		}
		rows = append(rows, &c)
	}
	for wait := retryMin; ; wait = min(wait*2, retryMax) {
		err := w.store.InsertClicks(ctx, rows)
		if err == nil {
			return true
		}
		w.log.Warn("insert clicks", "rows", len(rows), "err", err, "retry_in", wait)
		if !sleepCtx(ctx, wait) {
			return false
		}
	}
}

func (s *Store) ensureClicks(ctx context.Context) error {
	if err := s.conn.Exec(ctx, s.sql(clicksTable)); err != nil {
		return fmt.Errorf("create clicks table: %w", err)
	}
	return nil
}

// InsertClicks writes click records to the clicks table in one batch.
func (s *Store) InsertClicks(ctx context.Context, recs []*recordv1.Click) error {
	if len(recs) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, s.sql(insertClicks))
	if err != nil {
		return fmt.Errorf("insert %d clicks: %w", len(recs), err)
	}
	defer b.Abort() //nolint:errcheck // a no-op once sent
	for _, r := range recs {
		at := r.GetClickedAt().AsTime().UTC()
		if err := b.Append(r.GetTenantId(), r.GetCampaignId(), r.GetContactId(), r.GetMessageId(), r.GetCode(), r.GetLinkIndex(),
			r.GetUrl(), at, at.UnixMilli(), r.GetUserAgent()); err != nil {
			return fmt.Errorf("insert %d clicks: %w", len(recs), err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d clicks: %w", len(recs), err)
	}
	return nil
}

// CampaignClicks counts the clicks on a campaign's tracked links, each
// click record once. Before the clicks table exists it creates it (and
// answers 0).
func (s *Store) CampaignClicks(ctx context.Context, tenantID, campaignID string) (int64, error) {
	n, err := s.campaignClicks(ctx, tenantID, campaignID)
	if err != nil && s.ensureClicks(ctx) == nil {
		n, err = s.campaignClicks(ctx, tenantID, campaignID)
	}
	return n, err
}

func (s *Store) campaignClicks(ctx context.Context, tenantID, campaignID string) (int64, error) {
	var n uint64
	err := s.conn.QueryRow(ctx, s.sql(`SELECT uniqExact(code, clicked_ms) FROM {db}.clicks WHERE tenant_id = ? AND campaign_id = ?`),
		tenantID, campaignID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("campaign clicks: %w", err)
	}
	return int64(n), nil
}
