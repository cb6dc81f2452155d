package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// GroupReader reads topics as a member of a consumer group, from the
// first offset when the group has none: one fetch request per broker
// covers all its partitions. Between two calls of Next the group does not
// rebalance, so a batch handled and committed before the next call is
// never also handed to another member. Records are handed over at least
// once: a batch not committed is read again after a crash. Not for
// concurrent use.
type GroupReader struct {
	cl  *kgo.Client
	log *slog.Logger
}

// NewGroupReader joins group on brokers for topics. opts add to the
// client's options: KafkaConfig.ClientOpts for SASL and TLS.
func NewGroupReader(brokers []string, group string, topics []string, log *slog.Logger, opts ...kgo.Opt) (*GroupReader, error) {
	if log == nil {
		log = slog.Default()
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.FetchMinBytes(groupFetchMinBytes),
		kgo.FetchMaxWait(groupFetchMaxWait),
		kgo.SessionTimeout(10 * time.Second),
		kgo.HeartbeatInterval(time.Second),
	}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("consumer group %s: %w", group, err)
	}
	return &GroupReader{cl: cl, log: log}, nil
}

// Next lets a pending rebalance through, then waits up to wait for
// records and returns at most max of them: none when wait passed first or
// ctx ended.
func (g *GroupReader) Next(ctx context.Context, max int, wait time.Duration) []*kgo.Record {
	g.cl.AllowRebalance()
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	fs := g.cl.PollRecords(pctx, max)
	fs.EachError(func(topic string, partition int32, err error) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed) {
			return
		}
		g.log.Warn("fetch", "topic", topic, "partition", partition, "err", err)
	})
	return fs.Records()
}

// Commit commits, for each partition in recs, the offset after its
// highest record there.
func (g *GroupReader) Commit(ctx context.Context, recs []*kgo.Record) error {
	if len(recs) == 0 {
		return nil
	}
	return g.cl.CommitRecords(ctx, recs...)
}

// Close leaves the group. The last poll's hold on rebalancing is let go
// first: leaving is a rebalance.
func (g *GroupReader) Close() {
	g.cl.AllowRebalance()
	g.cl.Close()
}

// The broker holds a GroupReader's fetch until groupFetchMinBytes have
// arrived or groupFetchMaxWait has passed, so that at a steady rate one
// fetch brings many records rather than one.
const (
	groupFetchMinBytes = 64 << 10
	groupFetchMaxWait  = 50 * time.Millisecond
)
