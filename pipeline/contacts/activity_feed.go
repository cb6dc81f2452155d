package contacts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// FeedConfig says where the events and clicks topics are.
type FeedConfig struct {
	Brokers []string
	// Events carries recordv1.Event records, e.g. "tern.events".
	Events string
	// Clicks carries recordv1.Click records, e.g. "tern.clicks".
	Clicks string
	// GroupID is the consumer group. Default "tern-contacts-activity".
	GroupID string
	// ClientOpts add to the Kafka client's options, e.g. SASL and TLS.
	ClientOpts []kgo.Opt
}

// Feed moves contacts' last_delivered_at and last_clicked_at forward
// from the events topic's DELIVERED events and the clicks topic's
// clicks, a batch of records at a time, committing a batch's offsets
// once PostgreSQL has it. A record read twice changes nothing more
// (MarkDelivered and MarkClicked only move times forward); one that does
// not decode is skipped; a write that fails is retried until it succeeds
// or Run ends.
type Feed struct {
	s   *Store
	cfg FeedConfig
	log *slog.Logger
}

// NewFeed returns a feed of c's topics into s.
func (s *Store) NewFeed(c FeedConfig) *Feed {
	if c.GroupID == "" {
		c.GroupID = "tern-contacts-activity"
	}
	return &Feed{s: s, cfg: c, log: s.log.With("component", "contacts.feed")}
}

// feedRetryMax bounds the wait between retries of a failed write.
const feedRetryMax = 5 * time.Second

// Run consumes until ctx ends. Call it once.
func (f *Feed) Run(ctx context.Context) error {
	if len(f.cfg.Brokers) == 0 || f.cfg.Events == "" || f.cfg.Clicks == "" {
		return errors.New("contacts feed: brokers, an events and a clicks topic are required")
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(f.cfg.Brokers...),
		kgo.ConsumerGroup(f.cfg.GroupID),
		kgo.ConsumeTopics(f.cfg.Events, f.cfg.Clicks),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.FetchMinBytes(64 << 10), // many records a fetch, not one
		kgo.FetchMaxWait(500 * time.Millisecond),
	}, f.cfg.ClientOpts...)...)
	if err != nil {
		return fmt.Errorf("contacts feed: kafka consumer: %w", err)
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return nil
		}
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				f.log.Warn("fetch", "topic", topic, "partition", p, "err", err)
			}
		})
		recs := fs.Records()
		if len(recs) == 0 {
			continue
		}
		if !f.write(ctx, recs) {
			return nil
		}
		if err := cl.CommitRecords(ctx, recs...); err != nil && ctx.Err() == nil {
			f.log.Warn("commit", "err", err) // read again later; harmless
		}
	}
}

// write marks what recs tell, retrying until PostgreSQL takes it; false
// when ctx ended first.
func (f *Feed) write(ctx context.Context, recs []*kgo.Record) bool {
	ds, cs := f.activity(recs)
	if len(ds) == 0 && len(cs) == 0 {
		return true
	}
	for wait := 100 * time.Millisecond; ; wait = min(wait*2, feedRetryMax) {
		err := f.s.MarkDelivered(ctx, ds)
		if err == nil {
			err = f.s.MarkClicked(ctx, cs)
		}
		if err == nil {
			return true
		}
		f.log.Warn("contact activity", "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// activity decodes recs: the deliveries and the clicks.
func (f *Feed) activity(recs []*kgo.Record) ([]Delivered, []Clicked) {
	var ds []Delivered
	var cs []Clicked
	for _, r := range recs {
		if r.Topic == f.cfg.Clicks {
			var c recordv1.Click
			if err := proto.Unmarshal(r.Value, &c); err != nil || c.GetContactId() == 0 {
				continue
			}
			cs = append(cs, Clicked{Tenant: c.GetTenantId(), Contact: c.GetContactId(), At: c.GetClickedAt().AsTime()})
			continue
		}
		var ev recordv1.Event
		if err := proto.Unmarshal(r.Value, &ev); err != nil || ev.GetStatus() != ternv1.Status_STATUS_DELIVERED {
			continue
		}
		ds = append(ds, Delivered{Tenant: ev.GetTenantId(), Phone: ev.GetTo(), At: ev.GetTime().AsTime()})
	}
	return ds, cs
}
