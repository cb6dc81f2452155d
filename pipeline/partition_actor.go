package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// commitEvery bounds how long finished messages wait for their offset commit.
const commitEvery = 200 * time.Millisecond

// actor owns one partition of the submit topic for one generation. Its run
// goroutine alone touches its fields; each message's work runs in a job
// goroutine that reports back on done.
//
// Up to window messages are in hand at once. Messages to one recipient go
// one at a time in offset order: a later one starts only after the earlier
// one's outcome is recorded. Offsets are committed up to the contiguous
// prefix of finished messages.
type actor struct {
	c         *Consumer
	gen       *kafka.Generation
	partition int
	start     int64
	log       *slog.Logger

	inHand    []*job            // fetched and not yet committed, in offset order
	byTo      map[string][]*job // per recipient: the running job first, then those waiting
	running   int
	next      int64 // offset after the finished prefix; -1 before the first
	committed int64
	lastCmt   time.Time
}

// job is one message in an actor's hands.
type job struct {
	offset   int64
	rec      *recordv1.Submit // nil: undecodable, finished at once
	finished bool             // its outcome is durable
}

func newActor(c *Consumer, gen *kafka.Generation, partition int, start int64) *actor {
	return &actor{
		c: c, gen: gen, partition: partition, start: start,
		log:  c.log.With("partition", partition, "generation", gen.ID),
		byTo: map[string][]*job{}, next: -1, committed: -1,
	}
}

func (a *actor) run(ctx context.Context) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:       a.c.cfg.Brokers,
		Topic:         a.c.cfg.Topics.Submit,
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
	tick := time.NewTicker(commitEvery)
	defer tick.Stop()
	lagTick := time.NewTicker(time.Second)
	defer lagTick.Stop()
	for {
		in := fetched
		if len(a.inHand) >= a.c.window {
			in = nil // full: fetch again once something finishes
		}
		select {
		case m := <-in:
			a.take(ctx, m, done)
		case j := <-done:
			a.finish(ctx, j, done)
		case <-tick.C:
			a.commit(false)
		case <-lagTick.C:
			a.c.metrics.setLag(a.partition, r.Lag())
		case <-ctx.Done():
			// Revoked or stopping: jobs on the wire finish (their submit
			// and ledger write do not follow ctx); jobs waiting to retry
			// give up uncommitted. Then the finished prefix is committed.
			for a.running > 0 {
				a.finish(ctx, <-done, nil)
			}
			a.commit(true)
			a.c.metrics.addWindow(-len(a.inHand))
			return
		}
	}
}

// take adds a fetched message and starts it unless its recipient is busy.
func (a *actor) take(ctx context.Context, m kafka.Message, done chan<- *job) {
	j := &job{offset: m.Offset}
	if a.next < 0 {
		a.next = m.Offset
	}
	a.inHand = append(a.inHand, j)
	a.c.metrics.addWindow(1)
	rec := &recordv1.Submit{}
	if err := proto.Unmarshal(m.Value, rec); err != nil {
		a.log.Error("undecodable submit record skipped", "offset", m.Offset, "err", err)
		j.finished = true
		a.advance()
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
	go func() {
		j.finished = a.c.deliver(ctx, j.rec, a.log)
		done <- j
	}()
}

// finish takes a job back. A finished job lets its recipient's next job
// start; an unfinished one (ctx ended) holds its recipient back, as the
// partition is being released anyway. done is nil when no new job may start.
func (a *actor) finish(ctx context.Context, j *job, done chan<- *job) {
	a.running--
	if !j.finished {
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
		a.next = a.inHand[n].offset + 1
		n++
	}
	if n > 0 {
		a.inHand = append(a.inHand[:0], a.inHand[n:]...)
		a.c.metrics.addWindow(-n)
	}
}

// commit commits the finished prefix when it moved and the interval passed
// (or always, when final).
func (a *actor) commit(final bool) {
	if a.next <= a.committed || (!final && time.Since(a.lastCmt) < commitEvery) {
		return
	}
	err := a.gen.CommitOffsets(map[string]map[int]int64{a.c.cfg.Topics.Submit: {a.partition: a.next}})
	if err != nil {
		a.log.Warn("commit offsets", "offset", a.next, "err", err)
		return
	}
	a.committed, a.lastCmt = a.next, time.Now()
}

// deliver takes one message through the ledger to the carrier and records
// the outcome. It returns false if ctx ended before the outcome was
// durable; the message is then left to the partition's next owner.
func (c *Consumer) deliver(ctx context.Context, rec *recordv1.Submit, log *slog.Logger) bool {
	d := &delivery{
		c:   c,
		rec: rec,
		log: log,
		ref: Ref{
			MessageID: rec.Id, TenantID: rec.TenantId, CampaignID: rec.CampaignId,
			To: rec.To, Region: rec.Region, Category: core.Category(rec.Category),
			Encoding: gsm.Encoding(rec.Encoding), Carrier: c.carrier.Name(),
		},
		sub: carriers.Submission{
			MessageID:          rec.Id,
			To:                 rec.To,
			From:               rec.From,
			Text:               rec.Body,
			Coding:             codingOf(rec),
			RegisteredDelivery: true,
		},
	}
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return false
		}
		finished, wait, again := d.try(ctx, attempt)
		if !again {
			return finished
		}
		if !sleepCtx(ctx, wait) {
			return false
		}
	}
}

// codingOf returns the coding options the intake counted rec's segments
// with. A shift-table list that no longer parses is dropped (UCS-2 then
// carries the text) rather than failing the message.
func codingOf(rec *recordv1.Submit) gsm.Options {
	o := gsm.Options{Smart: rec.SmartEncoding}
	if rec.ShiftTables != "" {
		o.Languages, _ = gsm.ParseLanguages(rec.ShiftTables)
	}
	return o
}

// delivery is one message's way to the carrier.
type delivery struct {
	c       *Consumer
	rec     *recordv1.Submit
	ref     Ref
	sub     carriers.Submission
	log     *slog.Logger
	inDoubt bool // some earlier submit of it was in doubt
}

// durable gives work that must not be cut short once a submit may be on
// the wire: it outlives ctx for a bounded time.
func (d *delivery) durable(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d.c.submit)
}

// try makes one attempt: intent, submit, answer, event. It holds one of
// the instance's carrier slots from the intent until the answer is
// recorded. When again is true, another attempt follows after wait;
// otherwise finished tells whether the outcome is durable.
func (d *delivery) try(ctx context.Context, attempt int) (finished bool, wait time.Duration, again bool) {
	c, rec, ref := d.c, d.rec, d.ref
	retry := c.retry.Delay(attempt)
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return false, 0, false
	}
	held := true
	release := func() {
		if held {
			<-c.slots
			held = false
		}
	}
	defer release()

	p, err := c.ledger.Begin(ctx, ref)
	if err != nil {
		d.log.Warn("ledger begin", "id", rec.Id, "err", err)
		return false, retry, true
	}
	d.inDoubt = d.inDoubt || p.inDoubt
	switch {
	case p.state == stateAccepted:
		// Accepted before (an earlier owner died before committing):
		// never again. Its event may not have been written; write it.
		release()
		ev := submitEvent(rec, core.StatusSubmitted, time.Now())
		ev.Carrier, ev.Segments = p.carrier, int32(len(p.carrierIDs))
		if len(p.carrierIDs) > 0 {
			ev.CarrierMessageId = p.carrierIDs[0]
		}
		return c.emit(ctx, ev), 0, false
	case p.state == stateFailed:
		release()
		// Failed before: write its event again, as it was.
		ev := submitEvent(rec, core.StatusFailed, time.Now())
		ev.Carrier, ev.ErrorCode, ev.Reason, ev.InDoubt = p.carrier, p.errorCode, p.reason, p.errorCode == errorCodeInDoubt
		return c.emit(ctx, ev), 0, false
	case p.inDoubt:
		c.metrics.addInDoubt(c.policy)
		d.log.Warn("submit in doubt", "id", rec.Id, "policy", c.policy.String())
		if c.policy == Fail {
			if !d.answer(ctx, answer{messageID: rec.Id, state: stateFailed, carrier: ref.Carrier, errorCode: errorCodeInDoubt, reason: reasonOutcomeUnknown}) {
				return false, retry, true
			}
			release()
			ev := submitEvent(rec, core.StatusFailed, time.Now())
			ev.Carrier, ev.Reason, ev.InDoubt = ref.Carrier, reasonOutcomeUnknown, true
			c.metrics.addFinal(core.StatusFailed)
			return c.emit(ctx, ev), 0, false
		}
	}

	// The intent is durable: submit. From here the work finishes even if
	// the partition is being revoked — a message on the wire is better
	// answered than left in doubt.
	sctx, cancel := d.durable(ctx)
	acc, err := c.carrier.Submit(sctx, &d.sub)
	cancel()
	switch {
	case err == nil:
		if !d.answer(ctx, answer{messageID: rec.Id, state: stateAccepted, carrier: ref.Carrier, ids: acc.IDs}) {
			// The answer is lost: the message stays in doubt and the next
			// attempt applies the policy.
			return false, retry, true
		}
		release()
		c.metrics.addSubmitted()
		ev := submitEvent(rec, core.StatusSubmitted, time.Now())
		ev.Carrier, ev.Segments, ev.InDoubt = ref.Carrier, int32(len(acc.IDs)), d.inDoubt
		if len(acc.IDs) > 0 {
			ev.CarrierMessageId = acc.IDs[0]
		}
		return c.emit(ctx, ev), 0, false
	case errors.Is(err, carriers.ErrInDoubt):
		// Nothing recorded: the next Begin finds the intent and counts it.
		d.log.Warn("submit outcome unknown", "id", rec.Id, "err", err)
		return false, 0, true
	case errors.Is(err, carriers.ErrUnavailable), carriers.IsRetriable(err) && attempt < c.retry.Attempts:
		// Not on the wire, or refused for now: record it so the next
		// attempt is not mistaken for one in doubt, then wait.
		for !d.answer(ctx, answer{messageID: rec.Id, state: stateRefused, carrier: ref.Carrier}) {
			if !sleepCtx(ctx, retry) {
				return false, 0, false
			}
		}
		c.metrics.addRetry()
		var b *carriers.BackoffError
		if errors.As(err, &b) {
			retry = max(retry, b.Wait)
		}
		d.log.Debug("submit retry", "id", rec.Id, "attempt", attempt, "wait", retry, "err", err)
		return false, retry, true
	default:
		code := carriers.StatusCode(err)
		reason := fmt.Sprintf("carrier refused the message after %d attempts: %v", attempt, err)
		if !d.answer(ctx, answer{messageID: rec.Id, state: stateFailed, carrier: ref.Carrier, errorCode: code, reason: reason}) {
			return false, retry, true
		}
		release()
		ev := submitEvent(rec, core.StatusFailed, time.Now())
		ev.Carrier, ev.ErrorCode, ev.Reason = ref.Carrier, code, reason
		c.metrics.addFinal(core.StatusFailed)
		return c.emit(ctx, ev), 0, false
	}
}

// answer records a in the ledger, outliving ctx for a bounded time.
func (d *delivery) answer(ctx context.Context, a answer) bool {
	dctx, cancel := d.durable(ctx)
	defer cancel()
	if err := d.c.ledger.Answer(dctx, a); err != nil {
		d.log.Warn("ledger answer", "id", a.messageID, "err", err)
		return false
	}
	return true
}

// emit writes events, retrying until Kafka takes them. Once the outcome
// is in the ledger the event must follow, so a revoked partition still
// gets a bounded time to write it.
func (c *Consumer) emit(ctx context.Context, evs ...*recordv1.Event) bool {
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.submit)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := c.events.write(ectx, evs...)
		if err == nil {
			return true
		}
		c.log.Warn("produce events", "attempt", attempt, "err", err)
		if !sleepCtx(ectx, c.retry.Delay(attempt)) {
			// Not written: leave the message uncommitted; its next owner
			// finds it settled in the ledger and writes the event.
			return false
		}
	}
}
