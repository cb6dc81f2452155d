package analytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Writer moves the submit and events topics into the events table. Every
// Submit becomes the QUEUED row of its message, timed at accepted_at; every
// Event becomes one row, enriched at write time (writer_facts.go). Then it
// records the facts the rows add (facts.go), looked up first so that each
// stage of a message counts once, and the engagements and opt-outs of the
// engagements and replies topics. Rows are inserted in batches, and a
// batch's offsets are committed only once ClickHouse has all of it:
// delivery is at-least-once, and the queries and the fact lookups absorb
// the duplicates a crash or rebalance brings.
//
// One bad record never holds the others up: a record that does not decode,
// and a row ClickHouse refuses alone while it takes the others, go to the
// dead-letter sink (WithDeadLetters) with the reason. ClickHouse being
// unreachable, or refusing every row alike, gives nothing up: the insert
// is retried until it succeeds.
//
// Any number of writers may share a consumer group; Kafka spreads the
// partitions across them.
type Writer struct {
	store           *Store
	kc              KafkaConfig
	log             *slog.Logger
	shutdownTimeout time.Duration
	dead            DeadLetterSink
	enricher        enricher

	records      atomic.Int64
	rows         atomic.Int64
	skipped      atomic.Int64
	batches      atomic.Int64
	failed       atomic.Int64
	deadLettered atomic.Int64
	facts        atomic.Int64
	engaged      atomic.Int64
}

// WriterStats counts what a writer has done since it was made.
type WriterStats struct {
	// Records is the Kafka records read.
	Records int64
	// Rows is the rows inserted into ClickHouse.
	Rows int64
	// Skipped is the records that did not decode or converted to an invalid
	// row; they are logged and their offsets committed.
	Skipped int64
	// Batches is the inserts made.
	Batches int64
	// FailedInserts is the insert attempts, and the fact lookups before
	// them, ClickHouse refused or that did not reach it; each is retried.
	FailedInserts int64
	// DeadLettered is the records given to the dead-letter sink: skipped
	// ones, and rows ClickHouse refused.
	DeadLettered int64
	// Facts is the facts recorded (facts.go); Engagements the
	// engagements inserted.
	Facts       int64
	Engagements int64
}

// NewWriter returns a writer into store reading the topics kc names. The
// config is checked when Run starts.
func NewWriter(store *Store, kc KafkaConfig, opts ...WriterOption) *Writer {
	o := writerOptions{log: store.log, shutdownTimeout: DefaultShutdownTimeout}
	for _, opt := range opts {
		opt.applyToWriter(&o)
	}
	return &Writer{
		store:           store,
		kc:              kc.withDefaults(),
		log:             o.log.With("component", "analytics.writer"),
		shutdownTimeout: o.shutdownTimeout,
		dead:            o.dead,
		enricher:        newEnricher(o.costs),
	}
}

// Stats returns the writer's counters.
func (w *Writer) Stats() WriterStats {
	return WriterStats{
		Records:       w.records.Load(),
		Rows:          w.rows.Load(),
		Skipped:       w.skipped.Load(),
		Batches:       w.batches.Load(),
		FailedInserts: w.failed.Load(),
		DeadLettered:  w.deadLettered.Load(),
		Facts:         w.facts.Load(),
		Engagements:   w.engaged.Load(),
	}
}

// Tuning of the consumer. The broker holds a fetch until fetchMinBytes
// have arrived or half the flush interval (10 ms to fetchMaxWait) has
// passed: rows wait for their batch anyway, and one fetch for many records
// costs the broker and this client far less than one for each.
const (
	fetchMinBytes = 1 << 20
	fetchMaxWait  = 250 * time.Millisecond
	fetchMaxBytes = 10 << 20
	// fetchedCapacity bounds the polls read ahead of the batch being
	// inserted; polling stops while it is full.
	fetchedCapacity = 16
	retryMin        = 100 * time.Millisecond
	retryMax        = 5 * time.Second
)

// Run consumes until ctx ends, then inserts the partial batch, commits its
// offsets and leaves the group; inserting and committing get the shutdown
// timeout beyond ctx. A failing insert is retried with backoff while
// reading goes on until the batch is full, then reading pauses: the rows
// read meanwhile may show which of the batch's rows ClickHouse refuses.
// Run returns nil after a clean shutdown, and an error when
// the config is unusable or rows were still uninserted at the shutdown
// deadline (their offsets are not committed: they are read again next
// time). Call Run once.
func (w *Writer) Run(ctx context.Context) error {
	if err := w.kc.Validate(); err != nil {
		return err
	}
	cl, err := w.newClient()
	if err != nil {
		return err
	}

	fetchCtx, stopFetch := context.WithCancel(ctx)
	fetched := make(chan []*kgo.Record, fetchedCapacity)
	var wg sync.WaitGroup
	wg.Go(func() { w.fetch(fetchCtx, cl, fetched) })

	// Inserts and commits outlive ctx by up to the shutdown timeout: one in
	// progress when ctx ends completes, and the last batch still lands.
	flushCtx, stopFlush := withGrace(ctx, w.shutdownTimeout)
	defer stopFlush()

	b := newBatch()
	// Armed when a batch gets its first record.
	flushTimer := time.NewTimer(time.Hour)
	flushTimer.Stop()
	defer flushTimer.Stop()

	var runErr error
	retry := retryMin
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case recs := <-fetched:
			if b.empty() {
				flushTimer.Reset(w.store.cfg.FlushInterval)
			}
			var err error
			if b, err = w.addAll(flushCtx, cl, b, recs); err != nil {
				runErr = err
				break loop
			}
			if b.empty() {
				flushTimer.Stop()
			}
			continue
		case <-flushTimer.C:
		}
		done, err := w.tryFlush(flushCtx, cl, b)
		if err != nil {
			runErr = err
			break loop
		}
		if !done {
			// The batch stays; records read meanwhile join it.
			flushTimer.Reset(retry)
			retry = min(retry*2, retryMax)
			continue
		}
		b.reset()
		retry = retryMin
	}

	stopFetch()
	wg.Wait()
	if runErr == nil {
		// Records already read ahead ride along in the last batch.
		for drained := false; !drained && runErr == nil; {
			select {
			case recs := <-fetched:
				b, runErr = w.addAll(flushCtx, cl, b, recs)
			default:
				drained = true
			}
		}
	}
	if runErr == nil {
		if err := w.flush(flushCtx, cl, b); err != nil {
			runErr = err
		}
	}
	cl.Close() // leaves the group
	st := w.Stats()
	w.log.Info("stopped", "records", st.Records, "rows", st.Rows, "skipped", st.Skipped, "batches", st.Batches, "dead_lettered", st.DeadLettered)
	return runErr
}

// newClient returns the writer's consumer-group client on its topics.
func (w *Writer) newClient() (*kgo.Client, error) {
	topics := append([]string{w.kc.SubmitTopic, w.kc.EventsTopic}, w.kc.LaneTopics...)
	topics = append(topics, w.kc.engagementTopics()...)
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(w.kc.Brokers...),
		kgo.ConsumerGroup(w.kc.GroupID),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.FetchMinBytes(fetchMinBytes),
		kgo.FetchMaxWait(min(max(w.store.cfg.FlushInterval/2, 10*time.Millisecond), fetchMaxWait)),
		kgo.FetchMaxBytes(fetchMaxBytes),
		// As the pipeline's groups: an instance killed without leaving
		// holds its partitions' events back from ClickHouse, and stalls the
		// others' commits and shutdown, for 10 s rather than the 45 s
		// default.
		kgo.SessionTimeout(10 * time.Second),
		kgo.HeartbeatInterval(time.Second),
		kgo.WithLogger(kgoLogger{w.log}),
	}, w.kc.ClientOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("analytics writer: kafka consumer: %w", err)
	}
	w.log.Info("consuming", "brokers", w.kc.Brokers, "group", w.kc.GroupID, "topics", topics)
	return cl, nil
}

// fetch polls records into out until ctx ends. Fetch errors are logged and
// polling goes on: the client heals itself across broker restarts and
// rebalances.
func (w *Writer) fetch(ctx context.Context, cl *kgo.Client, out chan<- []*kgo.Record) {
	wait := retryMin
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return
		}
		failed := false
		fs.EachError(func(topic string, partition int32, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			failed = true
			w.log.Warn("fetch", "topic", topic, "partition", partition, "err", err, "retry_in", wait)
		})
		if failed {
			if !sleepCtx(ctx, wait) {
				return
			}
			wait = min(wait*2, retryMax)
		} else {
			wait = retryMin
		}
		recs := fs.Records()
		if len(recs) == 0 {
			continue
		}
		select {
		case out <- recs:
		case <-ctx.Done():
			return
		}
	}
}

// addAll adds recs to b, inserting each batch that reaches the batch size
// on the way, and returns the batch that is left (possibly empty).
func (w *Writer) addAll(ctx context.Context, cl *kgo.Client, b *batch, recs []*kgo.Record) (*batch, error) {
	for len(recs) > 0 {
		n := min(len(recs), w.store.cfg.BatchSize-b.size())
		for _, r := range recs[:n] {
			w.add(b, r)
		}
		recs = recs[n:]
		if b.size() < w.store.cfg.BatchSize {
			continue
		}
		if err := w.flush(ctx, cl, b); err != nil {
			return b, err
		}
		b.reset()
	}
	return b, nil
}

// add converts m into b. A record that does not convert is logged, counted
// and skipped, on its way to the dead-letter sink if there is one; its
// offset is committed with the batch all the same.
func (w *Writer) add(b *batch, m *kgo.Record) {
	w.records.Add(1)
	b.track(m)
	var (
		row Row
		err error
	)
	switch {
	case m.Topic == w.kc.SubmitTopic || slices.Contains(w.kc.LaneTopics, m.Topic):
		row, err = submitRow(m.Value, m.Timestamp)
	case m.Topic == w.kc.EventsTopic:
		row, err = eventRow(m.Value, m.Timestamp)
	case slices.Contains(w.kc.engagementTopics(), m.Topic):
		err = w.addEngagement(b, m)
		if err == nil {
			return
		}
	default:
		err = fmt.Errorf("%w: unexpected topic", ErrUndecodable)
	}
	if err != nil {
		w.skipped.Add(1)
		w.log.Warn("skipping record", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
		if w.dead != nil {
			b.dead = append(b.dead, deadRecord{m, err.Error()})
		}
		return
	}
	w.enricher.enrich(&row)
	b.add(row, m)
}

// flush settles b, retrying with backoff until ctx ends. It returns an
// error, naming the rows left, only when ctx ended first.
func (w *Writer) flush(ctx context.Context, cl *kgo.Client, b *batch) error {
	wait := retryMin
	for {
		done, err := w.tryFlush(ctx, cl, b)
		if done || err != nil {
			return err
		}
		if !sleepCtx(ctx, wait) {
			return fmt.Errorf("analytics writer: shutdown left %d rows uninserted and %d records not dead-lettered: %w",
				len(b.rows), len(b.dead), ctx.Err())
		}
		wait = min(wait*2, retryMax)
	}
}

// tryFlush tries once to settle b: its dead records written to the sink,
// its rows inserted (isolating those ClickHouse refuses), then its offsets
// committed. done is false when something is left for the next try; what
// is settled already leaves b. The error is not nil only when ctx ended.
// A failed commit is logged, not returned: the records are in ClickHouse
// and reading them again only adds duplicates.
func (w *Writer) tryFlush(ctx context.Context, cl *kgo.Client, b *batch) (done bool, err error) {
	if b.empty() {
		return true, nil
	}
	if !w.deadLetterAll(ctx, b) || !w.lookUpFacts(ctx, b) || !w.insert(ctx, b) || !w.recordFacts(ctx, b) || !w.recordEngagements(ctx, b) {
		if ctx.Err() != nil {
			return false, fmt.Errorf("analytics writer: shutdown left %d rows uninserted and %d records not dead-lettered: %w",
				len(b.rows), len(b.dead), ctx.Err())
		}
		return false, nil
	}
	w.commit(ctx, cl, b)
	return true, nil
}

// commit commits b's offsets.
func (w *Writer) commit(ctx context.Context, cl *kgo.Client, b *batch) {
	var commitErr error
	cl.CommitOffsetsSync(ctx, b.commits(), func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			commitErr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if e := kerr.ErrorForCode(p.ErrorCode); e != nil && commitErr == nil {
					commitErr = fmt.Errorf("%s[%d]: %w", t.Topic, p.Partition, e)
				}
			}
		}
	})
	if commitErr != nil {
		w.log.Warn("commit offsets", "partitions", len(b.last), "err", commitErr)
	}
}

// withGrace returns a context that ends grace after parent does, or when
// the returned stop is called.
func withGrace(parent context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	stopAfter := context.AfterFunc(parent, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		cancel()
	})
	return ctx, func() {
		stopAfter()
		cancel()
	}
}

// sleepCtx waits d or until ctx ends, reporting whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// kgoLogger passes the Kafka client's warnings and errors to log, and its
// informational lines at debug level.
type kgoLogger struct{ log *slog.Logger }

func (l kgoLogger) Level() kgo.LogLevel {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		return kgo.LogLevelInfo
	}
	return kgo.LogLevelWarn
}

func (l kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	sl := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		sl = slog.LevelError
	case kgo.LogLevelWarn:
		sl = slog.LevelWarn
	}
	l.log.Log(context.Background(), sl, msg, append(keyvals, "source", "kafka client")...)
}
