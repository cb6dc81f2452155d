package pipeline

import (
	"context"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// commitEvery bounds how long finished messages wait for their offset commit.
const commitEvery = 200 * time.Millisecond

// inHandPerWindow bounds, in windows, the messages an actor holds from its
// oldest unfinished one on. A slow message (a carrier's long tail, a
// send_at due within the slack) holds back its partition's commits, not
// its work: the messages behind it go on, finished ones waiting for their
// commit, until this many windows are in hand.
const inHandPerWindow = 8

// actor owns one partition of a submit topic (a lane) for one generation. Its run
// goroutine alone touches its fields; each message's work runs in a job
// goroutine that reports back on done.
//
// Up to window messages are fetched and not finished at once, and up to
// inHandPerWindow windows fetched and not committed. Messages to one
// recipient go one at a time in offset order: a later one starts only
// after the earlier one's outcome is recorded. Offsets are committed up to
// the contiguous prefix of finished messages.
type actor struct {
	c         *Consumer
	gen       *kafka.Generation
	commits   *committer
	topic     string
	partition int
	start     int64
	log       *slog.Logger

	inHand     []*job            // fetched and not yet committed, in offset order
	byTo       map[string][]*job // per recipient: the running job first, then those waiting
	unfinished int               // jobs in hand not finished
	running    int
	next       int64 // offset after the finished prefix; -1 before the first
	marked     int64 // the last offset handed to the committer
}

// job is one message in an actor's hands.
type job struct {
	msg kafka.Message
	rec *recordv1.Submit // nil: undecodable, dead-lettered
	// finished: its outcome is durable. Only the actor's goroutine reads
	// and writes it; the job's own goroutine leaves its result in
	// delivered, which the actor reads once the job is back on done.
	finished  bool
	delivered bool
}

func newActor(c *Consumer, gen *kafka.Generation, commits *committer, topic string, partition int, start int64) *actor {
	return &actor{
		c: c, gen: gen, commits: commits, topic: topic, partition: partition, start: start,
		log:  c.log.With("topic", topic, "partition", partition, "generation", gen.ID),
		byTo: map[string][]*job{}, next: -1, marked: -1,
	}
}

func (a *actor) run(ctx context.Context) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:       a.c.cfg.Brokers,
		Topic:         a.topic,
		Partition:     a.partition,
		MinBytes:      1,
		MaxBytes:      4 << 20,
		MaxWait:       250 * time.Millisecond,
		QueueCapacity: a.c.window,
	})
	defer r.Close()
	if err := r.SetOffset(a.start); err != nil {
		a.log.Error("set offset", "offset", a.start, "err", err)
		return
	}
	fetched := make(chan kafka.Message)
	fctx, stopFetch := context.WithCancel(ctx)
	fetcherDone := make(chan struct{})
	go func() {
		defer close(fetcherDone)
		for {
			m, err := r.FetchMessage(fctx)
			if err != nil {
				if fctx.Err() != nil {
					return
				}
				a.log.Warn("fetch", "err", err)
				if !sleepCtx(fctx, time.Second) {
					return
				}
				continue
			}
			select {
			case fetched <- m:
			case <-fctx.Done():
				return
			}
		}
	}()
	defer func() { stopFetch(); <-fetcherDone }()

	done := make(chan *job, a.c.window)
	lagTick := time.NewTicker(time.Second)
	defer lagTick.Stop()
	for {
		in := fetched
		if a.unfinished >= a.c.window || len(a.inHand) >= a.c.window*inHandPerWindow {
			in = nil // full: fetch again once something finishes
		}
		select {
		case m := <-in:
			a.take(ctx, m, done)
		case j := <-done:
			a.finish(ctx, j, done)
		case <-lagTick.C:
			a.c.metrics.setLag(a.topic, a.partition, r.Lag())
		case <-ctx.Done():
			// Revoked or stopping: jobs on the wire finish (their submit
			// and ledger write do not follow ctx); jobs waiting to retry
			// give up uncommitted. Then the finished prefix is committed.
			for a.running > 0 {
				a.finish(ctx, <-done, nil)
			}
			a.c.metrics.addWindow(-a.unfinished)
			return
		}
	}
}

// take adds a fetched message and starts it unless its recipient is busy.
func (a *actor) take(ctx context.Context, m kafka.Message, done chan<- *job) {
	j := &job{msg: m}
	if a.next < 0 {
		a.next = m.Offset
	}
	a.inHand = append(a.inHand, j)
	a.unfinished++
	a.c.metrics.addWindow(1)
	rec := &recordv1.Submit{}
	if err := proto.Unmarshal(m.Value, rec); err != nil {
		a.log.Error("undecodable submit record", "offset", m.Offset, "err", err)
		a.launch(ctx, j, done) // to the dead-letter topic, outside any recipient's queue
		return
	}
	j.rec = rec
	q := append(a.byTo[rec.To], j)
	a.byTo[rec.To] = q
	if len(q) == 1 {
		a.launch(ctx, j, done)
	}
}

func (a *actor) launch(ctx context.Context, j *job, done chan<- *job) {
	a.running++
	a.c.runners.Go(func() {
		j.delivered = a.c.deliver(ctx, j.msg, j.rec, a.log)
		done <- j
	})
}

// finish takes a job back. A finished job lets its recipient's next job
// start; an unfinished one (ctx ended) holds its recipient back, as the
// partition is being released anyway. done is nil when no new job may start.
func (a *actor) finish(ctx context.Context, j *job, done chan<- *job) {
	a.running--
	j.finished = j.delivered
	if !j.finished {
		return
	}
	a.unfinished--
	a.c.metrics.addWindow(-1)
	if j.rec == nil {
		a.advance()
		return
	}
	q := a.byTo[j.rec.To][1:]
	if len(q) == 0 {
		delete(a.byTo, j.rec.To)
	} else {
		a.byTo[j.rec.To] = q
		if done != nil && ctx.Err() == nil {
			a.launch(ctx, q[0], done)
		}
	}
	a.advance()
}

// advance moves the committable offset past the finished prefix.
func (a *actor) advance() {
	n := 0
	for n < len(a.inHand) && a.inHand[n].finished {
		a.next = a.inHand[n].msg.Offset + 1
		n++
	}
	if n > 0 {
		a.inHand = append(a.inHand[:0], a.inHand[n:]...)
	}
	if a.next > a.marked {
		a.commits.mark(a.topic, a.partition, a.next)
		a.marked = a.next
	}
}
