package analytics

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"

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
	f := &tableFeed[recordv1.Click, *recordv1.Click]{what: "clicks", brokers: w.cfg.Brokers, topic: w.cfg.Topic,
		group: w.cfg.GroupID, opts: w.cfg.ClientOpts, log: w.log, ensure: w.store.ensureClicks, insert: w.store.InsertClicks}
	return f.run(ctx)
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
