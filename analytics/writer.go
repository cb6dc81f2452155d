package analytics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

// Writer moves the submit and events topics into the events table. Every
// Submit becomes the QUEUED row of its message, timed at accepted_at; every
// Event becomes one row. Rows are inserted in batches, and a batch's offsets
// are committed only once ClickHouse has it: delivery is at-least-once, and
// the queries absorb the duplicates a crash or rebalance brings.
//
// Any number of writers may share a consumer group; Kafka spreads the
// partitions across them.
type Writer struct {
	store           *Store
	kc              KafkaConfig
	log             *slog.Logger
	shutdownTimeout time.Duration

	records atomic.Int64
	rows    atomic.Int64
	skipped atomic.Int64
	batches atomic.Int64
	failed  atomic.Int64
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
	// FailedInserts is the insert attempts ClickHouse refused or that did
	// not reach it; each is retried.
	FailedInserts int64
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
	}
}

// Tuning of the consumer; see the kafka-go ReaderConfig fields of the same
// names. MaxWait is the broker's long poll on an idle partition: data is
// returned as soon as it is there, but closing the reader waits for polls in
// flight, and kafka-go keeps only a quarter of a short MaxWait as margin
// before the socket deadline (500ms gave i/o timeouts and reconnects on idle
// partitions under load).
const (
	readerMaxWait       = 2 * time.Second
	readerMaxBytes      = 10 << 20
	readerQueueCapacity = 1000
	// fetchedCapacity bounds the records read ahead of the batch being
	// inserted; the reader blocks when it is full.
	fetchedCapacity = 4096
	retryMin        = 100 * time.Millisecond
	retryMax        = 5 * time.Second
)

// Run consumes until ctx ends, then inserts the partial batch, commits its
// offsets and leaves the group; inserting and committing get the shutdown
// timeout beyond ctx. A failing insert is retried with backoff while
// reading pauses. Run returns nil after a clean shutdown, and an error when
// the config is unusable or rows were still uninserted at the shutdown
// deadline (their offsets are not committed: they are read again next
// time). Call Run once.
func (w *Writer) Run(ctx context.Context) error {
	if err := w.kc.Validate(); err != nil {
		return err
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        w.kc.Brokers,
		GroupID:        w.kc.GroupID,
		GroupTopics:    []string{w.kc.SubmitTopic, w.kc.EventsTopic},
		MaxBytes:       readerMaxBytes,
		MaxWait:        readerMaxWait,
		QueueCapacity:  readerQueueCapacity,
		StartOffset:    kafka.FirstOffset,
		CommitInterval: 0, // synchronous: CommitMessages returns once committed
		Logger:         kafkaLogger(w.log, slog.LevelDebug),
		ErrorLogger:    kafkaLogger(w.log, slog.LevelWarn),
	})
	w.log.Info("consuming", "brokers", w.kc.Brokers, "group", w.kc.GroupID,
		"topics", []string{w.kc.SubmitTopic, w.kc.EventsTopic})

	fetchCtx, stopFetch := context.WithCancel(ctx)
	fetched := make(chan kafka.Message, fetchedCapacity)
	var wg sync.WaitGroup
	wg.Go(func() { w.fetch(fetchCtx, r, fetched) })

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
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case m := <-fetched:
			if b.empty() {
				flushTimer.Reset(w.store.cfg.FlushInterval)
			}
			w.add(b, m)
			if len(b.rows) < w.store.cfg.BatchSize {
				continue
			}
			flushTimer.Stop()
		case <-flushTimer.C:
		}
		if err := w.flush(flushCtx, r, b); err != nil {
			runErr = fmt.Errorf("analytics writer: shutdown left %d rows uninserted: %w", len(b.rows), err)
			break loop
		}
		b = newBatch()
	}

	stopFetch()
	wg.Wait()
	if runErr == nil {
		// Records already read ahead ride along in the last batch.
		for drained := false; !drained; {
			select {
			case m := <-fetched:
				w.add(b, m)
			default:
				drained = true
			}
		}
		if err := w.flush(flushCtx, r, b); err != nil {
			runErr = fmt.Errorf("analytics writer: shutdown left %d rows uninserted: %w", len(b.rows), err)
		}
	}
	if err := r.Close(); err != nil {
		w.log.Warn("close kafka reader", "err", err)
	}
	st := w.Stats()
	w.log.Info("stopped", "records", st.Records, "rows", st.Rows, "skipped", st.Skipped, "batches", st.Batches)
	return runErr
}

// fetch reads records into out until ctx ends. Reader errors are logged and
// retried: the reader heals itself across broker restarts and rebalances.
func (w *Writer) fetch(ctx context.Context, r *kafka.Reader, out chan<- kafka.Message) {
	wait := retryMin
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return
			}
			w.log.Warn("fetch", "err", err, "retry_in", wait)
			if !sleepCtx(ctx, wait) {
				return
			}
			wait = min(wait*2, retryMax)
			continue
		}
		wait = retryMin
		select {
		case out <- m:
		case <-ctx.Done():
			return
		}
	}
}

// add converts m into b. A record that does not convert is logged, counted
// and skipped; its offset is committed with the batch all the same.
func (w *Writer) add(b *batch, m kafka.Message) {
	w.records.Add(1)
	b.track(m)
	var (
		row Row
		err error
	)
	switch m.Topic {
	case w.kc.SubmitTopic:
		row, err = submitRow(m.Value, m.Time)
	case w.kc.EventsTopic:
		row, err = eventRow(m.Value, m.Time)
	default:
		err = fmt.Errorf("%w: unexpected topic", ErrUndecodable)
	}
	if err != nil {
		w.skipped.Add(1)
		w.log.Warn("skipping record", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
		return
	}
	b.rows = append(b.rows, row)
}

// flush inserts b's rows, retrying with backoff until ctx ends, then
// commits b's offsets. It returns an error only when ctx ended before the
// insert succeeded. A failed commit is logged, not returned: the records
// are in ClickHouse and reading them again only adds duplicates.
func (w *Writer) flush(ctx context.Context, r *kafka.Reader, b *batch) error {
	if b.empty() {
		return nil
	}
	if len(b.rows) > 0 {
		wait := retryMin
		for {
			err := w.store.Insert(ctx, b.rows)
			if err == nil {
				break
			}
			w.failed.Add(1)
			if ctx.Err() != nil {
				return err
			}
			w.log.Warn("insert batch", "rows", len(b.rows), "err", err, "retry_in", wait)
			if !sleepCtx(ctx, wait) {
				return err
			}
			wait = min(wait*2, retryMax)
		}
		w.rows.Add(int64(len(b.rows)))
		w.batches.Add(1)
	}
	if err := r.CommitMessages(ctx, b.commits()...); err != nil {
		w.log.Warn("commit offsets", "partitions", len(b.last), "err", err)
	}
	return nil
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

func kafkaLogger(log *slog.Logger, level slog.Level) kafka.LoggerFunc {
	return func(format string, args ...any) {
		if log.Enabled(context.Background(), level) {
			log.Log(context.Background(), level, fmt.Sprintf(format, args...), "source", "kafka-go")
		}
	}
}
