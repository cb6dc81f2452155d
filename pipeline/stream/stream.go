// Package stream is the Kafka plumbing the feature packages (store
// events, flows, attribution, webhooks) share: creating a topic of
// theirs, and consuming topics in a group, committing a batch only once
// its handler has made its effects durable. It owns no topic and no
// records.
package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ternsms/tern/pipeline"
)

// Topic describes a topic to create.
type Topic struct {
	Name              string
	Partitions        int
	ReplicationFactor int
	// Compact keeps the latest record of each key instead of deleting by
	// age.
	Compact bool
	// Retention, when set, is how long records are kept.
	Retention time.Duration
}

// EnsureTopic creates t on brokers unless it exists; an existing topic
// keeps its settings. opts add client options (KafkaConfig.ClientOpts).
func EnsureTopic(ctx context.Context, brokers []string, t Topic, opts ...kgo.Opt) error {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = t.Name, int32(max(t.Partitions, 1)), int16(max(t.ReplicationFactor, 1))
	if t.Compact {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = "cleanup.policy", kmsg.StringPtr("compact")
		rt.Configs = append(rt.Configs, c)
	}
	if t.Retention > 0 {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = "retention.ms", kmsg.StringPtr(fmt.Sprint(t.Retention.Milliseconds()))
		rt.Configs = append(rt.Configs, c)
	}
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 30_000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create topic %s: %w", t.Name, err)
	}
	for _, r := range resp.Topics {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", t.Name, err)
		}
	}
	return nil
}

// Group says what a consumer reads.
type Group struct {
	Brokers []string
	Group   string
	Topics  []string
	// Opts add client options (KafkaConfig.ClientOpts).
	Opts []kgo.Opt
	// Batch is the most records one handle call gets; default 500.
	Batch int
	Log   *slog.Logger
}

// Handler makes the effects of a batch of records durable. It must be
// idempotent: a batch may come again after a crash. An error retries
// the same batch after a backoff; a record it can never handle it logs
// and skips.
type Handler func(ctx context.Context, recs []*kgo.Record) error

// retryWait bounds the backoff between retries of a failing batch.
const (
	retryFirst = 200 * time.Millisecond
	retryMax   = 10 * time.Second
)

// Consume reads g's topics until ctx ends, handing each batch to h and
// committing it once h returns nil. The group does not rebalance while
// a batch is handled, so a committed batch is never also handed to
// another member. While h blocks or fails, nothing more is read: the
// backlog waits in Kafka, not in memory.
func Consume(ctx context.Context, g Group, h Handler) error {
	if g.Log == nil {
		g.Log = slog.New(slog.DiscardHandler)
	}
	if g.Batch <= 0 {
		g.Batch = 500
	}
	r, err := pipeline.NewGroupReader(g.Brokers, g.Group, g.Topics, g.Log, g.Opts...)
	if err != nil {
		return err
	}
	defer r.Close()
	for ctx.Err() == nil {
		recs := r.Next(ctx, g.Batch, time.Second)
		if len(recs) == 0 {
			continue
		}
		if !handleRetrying(ctx, g, h, recs) {
			return nil
		}
		if err := r.Commit(ctx, recs); err != nil && ctx.Err() == nil {
			g.Log.Warn("commit", "group", g.Group, "err", err) // read again later; handlers are idempotent
		}
	}
	return nil
}

// handleRetrying runs h on recs until it succeeds (true) or ctx ends.
func handleRetrying(ctx context.Context, g Group, h Handler, recs []*kgo.Record) bool {
	wait := retryFirst
	for {
		err := h(ctx, recs)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		g.Log.Warn("handle batch; retrying", "group", g.Group, "records", len(recs), "err", err, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		wait = min(wait*2, retryMax)
	}
}
