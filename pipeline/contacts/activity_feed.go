package contacts

import (
	"context"
	"errors"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/pipeline/stream"
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

// Run consumes until ctx ends, through the feature packages' group
// reading (pipeline/stream: batches, retries, commits). Call it once.
func (f *Feed) Run(ctx context.Context) error {
	if len(f.cfg.Brokers) == 0 || f.cfg.Events == "" || f.cfg.Clicks == "" {
		return errors.New("contacts feed: brokers, an events and a clicks topic are required")
	}
	return stream.Consume(ctx, stream.Group{Brokers: f.cfg.Brokers, Group: f.cfg.GroupID,
		Topics: []string{f.cfg.Events, f.cfg.Clicks}, Opts: f.cfg.ClientOpts, Log: f.log}, f.write)
}

// write marks what recs tell.
func (f *Feed) write(ctx context.Context, recs []*kgo.Record) error {
	ds, cs := f.activity(recs)
	if err := f.s.MarkDelivered(ctx, ds); err != nil {
		return err
	}
	return f.s.MarkClicked(ctx, cs)
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
