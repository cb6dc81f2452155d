package analytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
)

// tableFeed copies one topic of T records into one ClickHouse table, in
// batches, committing a batch's offsets once ClickHouse has it. A record
// that does not decode is logged and skipped; an insert that fails is
// retried until it succeeds or the feed's context ends. The clicks and
// replies writers are two of them.
type tableFeed[T any, P interface {
	*T
	proto.Message
}] struct {
	what    string // the records' name in logs and errors: "clicks"
	brokers []string
	topic   string
	group   string
	opts    []kgo.Opt
	log     *slog.Logger
	// ensure creates the table if missing; insert writes one batch.
	ensure func(context.Context) error
	insert func(context.Context, []P) error
}

// run ensures the table and consumes until ctx ends. Call it once.
func (f *tableFeed[T, P]) run(ctx context.Context) error {
	if len(f.brokers) == 0 || f.topic == "" {
		return fmt.Errorf("%w: %s writer needs brokers and a topic", ErrInvalidConfig, f.what)
	}
	if err := f.ensure(ctx); err != nil {
		return err
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(f.brokers...),
		kgo.ConsumerGroup(f.group),
		kgo.ConsumeTopics(f.topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(fetchMaxWait),
		kgo.WithLogger(kgoLogger{f.log}),
	}, f.opts...)...)
	if err != nil {
		return fmt.Errorf("%s writer: kafka consumer: %w", f.what, err)
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
			f.log.Warn("commit", "err", err) // inserted again later; counted once
		}
	}
}

// write inserts recs' rows, retrying until ClickHouse takes them; false
// when ctx ended first.
func (f *tableFeed[T, P]) write(ctx context.Context, recs []*kgo.Record) bool {
	rows := make([]P, 0, len(recs))
	for _, r := range recs {
		m := P(new(T))
		if err := proto.Unmarshal(r.Value, m); err != nil {
			f.log.Warn("skipping undecodable "+f.what+" record", "partition", r.Partition, "offset", r.Offset, "err", err)
			continue
		}
		rows = append(rows, m)
	}
	for wait := retryMin; ; wait = min(wait*2, retryMax) {
		err := f.insert(ctx, rows)
		if err == nil {
			return true
		}
		f.log.Warn("insert "+f.what, "rows", len(rows), "err", err, "retry_in", wait)
		if !sleepCtx(ctx, wait) {
			return false
		}
	}
}
