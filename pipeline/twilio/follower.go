package twilio

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// FollowerConfig says where the events come from.
type FollowerConfig struct {
	Brokers []string
	// Events is the events topic. Default "tern.events".
	Events string
	// Group is the consumer group. Default "tern-twilio".
	Group string
	// ClientOpts are the Kafka client's security options (SASL, TLS).
	ClientOpts []kgo.Opt
}

// missingWait is how long an event may wait for its message to be kept:
// Send keeps a message right after Kafka took it, so its first events
// may come a moment before.
const missingWait = 30 * time.Second

// Follower reads the events topic and keeps the status of the surface's
// messages (those whose origin starts with OriginPrefix), queuing their
// status callbacks. Every instance may run one in the same group.
type Follower struct {
	store *Store
	queue CallbackQueue
	cl    *kgo.Client
	log   *slog.Logger
	now   func() time.Time
}

// NewFollower returns a Follower writing to s and queuing callbacks on q.
func NewFollower(c FollowerConfig, s *Store, q CallbackQueue, log *slog.Logger) (*Follower, error) {
	if c.Events == "" {
		c.Events = "tern.events"
	}
	if c.Group == "" {
		c.Group = "tern-twilio"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ConsumerGroup(c.Group),
		kgo.ConsumeTopics(c.Events),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMinBytes(64 << 10), // many records a fetch, not one
		kgo.FetchMaxWait(250 * time.Millisecond),
	}, c.ClientOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer for %s: %w", c.Events, err)
	}
	return &Follower{store: s, queue: q, cl: cl, log: log, now: time.Now}, nil
}

// Run applies events until ctx ends, committing a batch's offsets once
// its changes are written, then leaves the group.
func (f *Follower) Run(ctx context.Context) error {
	defer f.cl.Close()
	for {
		fs := f.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fs.EachError(func(topic string, part int32, err error) {
			f.log.Warn("events fetch", "topic", topic, "partition", part, "err", err)
		})
		var changes []Change
		var recs []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) {
			recs = append(recs, r)
			if ch, ok := f.change(r); ok {
				changes = append(changes, ch)
			}
		})
		if len(changes) > 0 && !f.applyRetrying(ctx, changes) {
			return nil
		}
		if len(recs) > 0 {
			if err := f.cl.CommitRecords(ctx, recs...); err != nil && ctx.Err() == nil {
				f.log.Warn("events commit", "err", err) // applied again later: a change applies once
			}
		}
	}
}

// change reads r as a status change of one of the surface's messages.
func (f *Follower) change(r *kgo.Record) (Change, bool) {
	var ev recordv1.Event
	if err := proto.Unmarshal(r.Value, &ev); err != nil {
		f.log.Error("undecodable event", "partition", r.Partition, "offset", r.Offset, "err", err)
		return Change{}, false
	}
	if !strings.HasPrefix(ev.Origin, OriginPrefix) {
		return Change{}, false
	}
	st := core.Status(ev.Status)
	return Change{MessageID: ev.MessageId, Status: st, At: ev.Time.AsTime(), Reason: ev.Reason,
		Sent: ev.Carrier != "" && st != core.StatusQueued}, true
}

// applyRetrying applies changes, retrying every second while the store
// fails or while a change whose message is not kept yet is younger than
// missingWait; false when ctx ended first.
func (f *Follower) applyRetrying(ctx context.Context, changes []Change) bool {
	for {
		missing, err := f.store.Apply(ctx, f.queue, changes)
		if err == nil {
			changes = f.young(missing)
			if len(changes) == 0 {
				return true
			}
		} else {
			f.log.Warn("twilio message statuses", "err", err)
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// young keeps the changes still worth waiting for; the others are
// logged and dropped.
func (f *Follower) young(missing []Change) []Change {
	var out []Change
	for _, ch := range missing {
		if f.now().Sub(ch.At) < missingWait {
			out = append(out, ch)
			continue
		}
		f.log.Warn("event of a twilio message not kept; dropped", "message", ch.MessageID, "status", ch.Status.String())
	}
	return out
}
