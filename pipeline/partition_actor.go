package pipeline

import (
	"context"
	"errors"
	"fmt"
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

// actor owns one partition of the submit topic for one generation. Only its
// goroutine touches its fields.
type actor struct {
	c         *Consumer
	gen       *kafka.Generation
	partition int
	start     int64

	next       int64 // offset after the last finished message
	committed  int64
	lastCommit time.Time
}

func (a *actor) run(ctx context.Context) {
	log := a.c.log.With("partition", a.partition, "generation", a.gen.ID)
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:   a.c.cfg.Brokers,
		Topic:     a.c.cfg.Topics.Submit,
		Partition: a.partition,
		MinBytes:  1,
		MaxBytes:  4 << 20,
		MaxWait:   250 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(a.start); err != nil {
		log.Error("set offset", "offset", a.start, "err", err)
		return
	}
	a.next, a.committed = -1, -1
	defer a.commit(log, true)
	for {
		fctx, cancel := context.WithTimeout(ctx, commitEvery)
		m, err := r.FetchMessage(fctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				log.Warn("fetch", "err", err)
			}
			a.commit(log, false)
			continue
		}
		if !a.handle(ctx, m) {
			return // ctx ended mid-message: leave it uncommitted for the next owner
		}
		a.next = m.Offset + 1
		a.commit(log, false)
	}
}

// commit commits the finished prefix when it moved and the interval passed
// (or always, when final).
func (a *actor) commit(log interface{ Warn(string, ...any) }, final bool) {
	if a.next <= a.committed || (!final && time.Since(a.lastCommit) < commitEvery) {
		return
	}
	err := a.gen.CommitOffsets(map[string]map[int]int64{a.c.cfg.Topics.Submit: {a.partition: a.next}})
	if err != nil {
		log.Warn("commit offsets", "offset", a.next, "err", err)
		return
	}
	a.committed, a.lastCommit = a.next, time.Now()
}

// handle takes one message to a carrier and records the outcome. It
// returns false if ctx ended before the outcome was recorded.
func (a *actor) handle(ctx context.Context, m kafka.Message) bool {
	rec := &recordv1.Submit{}
	if err := proto.Unmarshal(m.Value, rec); err != nil {
		a.c.log.Error("undecodable submit record skipped", "partition", a.partition, "offset", m.Offset, "err", err)
		return true
	}
	sub := carriers.Submission{
		MessageID:          rec.Id,
		To:                 rec.To,
		From:               rec.From,
		Text:               rec.Body,
		Coding:             gsm.Options{},
		RegisteredDelivery: true,
	}
	for attempt := 1; ; attempt++ {
		// The submit finishes even if the partition is being revoked: a
		// message on the wire is better answered than left in doubt.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.c.submit)
		acc, err := a.c.carrier.Submit(sctx, &sub)
		cancel()
		now := time.Now()
		switch {
		case err == nil:
			ref := Ref{
				MessageID: rec.Id, TenantID: rec.TenantId, CampaignID: rec.CampaignId,
				To: rec.To, Region: rec.Region, Category: core.Category(rec.Category),
				Encoding: gsm.Encoding(rec.Encoding), Carrier: a.c.carrier.Name(),
			}
			if err := a.c.join.Record(ctx, ref, acc.IDs); err != nil {
				a.c.log.Error("record carrier ids", "id", rec.Id, "err", err)
			}
			ev := submitEvent(rec, core.StatusSubmitted, now)
			ev.Carrier = a.c.carrier.Name()
			ev.Segments = int32(len(acc.IDs))
			if len(acc.IDs) > 0 {
				ev.CarrierMessageId = acc.IDs[0]
			}
			return a.emit(ctx, ev)
		case errors.Is(err, carriers.ErrUnavailable), errors.Is(err, carriers.ErrInDoubt),
			carriers.IsRetriable(err) && attempt < a.c.retry.Attempts:
			// Unavailable carriers are waited for; in-doubt submits are
			// resubmitted; temporary refusals are retried a few times.
			wait := a.c.retry.Delay(attempt)
			var b *carriers.BackoffError
			if errors.As(err, &b) {
				wait = max(wait, b.Wait)
			}
			a.c.log.Debug("submit retry", "id", rec.Id, "attempt", attempt, "wait", wait, "err", err)
			if !sleepCtx(ctx, wait) {
				return false
			}
		default:
			ev := submitEvent(rec, core.StatusFailed, now)
			ev.Carrier = a.c.carrier.Name()
			ev.Reason = fmt.Sprintf("carrier refused the message after %d attempts: %v", attempt, err)
			var coded interface{ StatusCode() uint32 }
			if errors.As(err, &coded) {
				ev.ErrorCode = fmt.Sprintf("0x%08X", coded.StatusCode())
			}
			return a.emit(ctx, ev)
		}
	}
}

// emit writes events, retrying until Kafka takes them or ctx ends.
func (a *actor) emit(ctx context.Context, evs ...*recordv1.Event) bool {
	for attempt := 1; ; attempt++ {
		err := a.c.events.write(ctx, evs...)
		if err == nil {
			return true
		}
		a.c.log.Warn("produce events", "attempt", attempt, "err", err)
		if !sleepCtx(ctx, a.c.retry.Delay(attempt)) {
			return false
		}
	}
}
