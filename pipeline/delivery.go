package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// scheduleSlack: a message due this soon waits for its time in the
// partition's window rather than in the scheduler.
const scheduleSlack = 500 * time.Millisecond

// heldSubmitLate: a message back from the scheduler up to this late for
// the submit it held under its tenant's limits goes at it; one later is
// counted again when it goes, so that the messages after it make up for it.
const heldSubmitLate = time.Second

// deliver takes one message through its checks, the ledger and the
// carrier, and records the outcome. It returns false if ctx ended before
// the outcome was durable; the message is then left to the partition's
// next owner. A message that cannot be processed goes to the dead-letter
// topic.
func (c *Consumer) deliver(ctx context.Context, m kafka.Message, rec *recordv1.Submit, log *slog.Logger) (finished bool) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic processing a message", "offset", m.Offset, "panic", p, "stack", string(debug.Stack()))
			finished = c.deadLetter(ctx, m, rec, fmt.Sprintf("panic: %v", p), log)
		}
	}()
	if rec == nil {
		return c.deadLetter(ctx, m, nil, "undecodable submit record", log)
	}
	if reason := invalidRecord(rec); reason != "" {
		return c.deadLetter(ctx, m, rec, reason, log)
	}
	now := c.now()
	if rec.ValidUntil != nil && now.After(rec.ValidUntil.AsTime()) {
		ev := submitEvent(rec, core.StatusExpired, now)
		ev.Reason = "validity period ended before the message could be sent"
		c.metrics.addFinal(core.StatusExpired)
		return c.emit(ctx, ev)
	}
	if rec.NotBefore != nil {
		switch due := rec.NotBefore.AsTime(); {
		case due.After(now.Add(scheduleSlack)):
			reason := deferSendAt
			switch {
			case rec.RateTurn != "":
				reason = deferRateLimit // keeps its turn
			case rec.Attempts > 0:
				reason = deferRetry
			}
			return c.deferTo(ctx, m, rec, due, reason, log)
		case due.After(now):
			// Due within the slack: wait for it here rather than send early.
			if !sleepCtx(ctx, due.Sub(now)) {
				return false
			}
			now = c.now()
		}
	}
	if core.Category(rec.Category) == core.CategoryMarketing && c.quiet != nil {
		if n, err := c.phones.Parse(rec.To, ""); err == nil {
			if d := c.quiet(rec.TenantId).Check(now, core.CategoryMarketing, n); !d.Allowed {
				return c.deferTo(ctx, m, rec, d.NextAllowed, deferQuietHours, log)
			}
		}
	}
	if !c.limits.Holds(rec.RateTurn) {
		r := c.limits.Reserve(rec.TenantId, rec.From, core.Category(rec.Category), rec.RateTurn)
		if r.Wait > scheduleSlack {
			// The tenant's or sender id's turn is further off: the message
			// waits for it in the scheduler, not in the partition, whose
			// other tenants' messages would wait behind it.
			turn := proto.CloneOf(rec)
			turn.RateTurn = r.Mark
			// Expired or canceled instead, or not deferred at all, the
			// message gives its turn or place in line back.
			return c.deferReserved(ctx, m, turn, now.Add(r.Wait), deferRateLimit, log, r)
		}
		if !sleepCtx(ctx, r.Wait) {
			r.Cancel()
			return false
		}
	}
	d := &delivery{
		c:      c,
		msg:    m,
		rec:    rec,
		log:    log,
		intent: newIntentToken(),
		ref: Ref{
			MessageID: rec.Id, TenantID: rec.TenantId, CampaignID: rec.CampaignId,
			To: rec.To, Region: rec.Region, Category: core.Category(rec.Category),
			Encoding: gsm.Encoding(rec.Encoding), Origin: rec.Origin,
		},
		sub: carriers.Submission{
			MessageID:          rec.Id,
			To:                 rec.To,
			From:               rec.From,
			Text:               rec.Body,
			Coding:             codingOf(rec),
			RegisteredDelivery: true,
			Priority:           priorityOf(core.Category(rec.Category)),
		},
	}
	if rec.ValidUntil != nil {
		d.sub.ValidUntil = rec.ValidUntil.AsTime()
	}
	if r := rec.Raw; r != nil {
		d.sub.Raw = &carriers.Raw{DataCoding: byte(r.DataCoding), UDHI: r.Udhi, ShortMessage: r.ShortMessage}
	}
	if c.limits.HoldsSubmit(rec.RateTurn) && rec.NotBefore != nil {
		d.held = rec.NotBefore.AsTime()
	}
	for attempt := 1; ; {
		if ctx.Err() != nil {
			return false
		}
		pace := d.pace
		finished, wait, again := d.try(ctx, attempt)
		if !again {
			return finished
		}
		if d.pace == nil || d.pace == pace {
			attempt++ // a failed attempt; a new wait for its submit under the limits is none
		}
		if !sleepCtx(ctx, wait) {
			if d.pace != nil {
				d.pace.Cancel() // it does not go now: the submit it waited for is not used
			}
			return false
		}
	}
}

// invalidRecord says why a decoded record cannot be processed, or "".
// Records may come from other producers than tern's intake: one whose
// ledger fields hold a NUL, which PostgreSQL text refuses, is refused here
// before it reaches a shared ledger batch.
func invalidRecord(rec *recordv1.Submit) string {
	switch {
	case rec.Id == "":
		return "submit record without id"
	case rec.TenantId == "":
		return "submit record without tenant"
	case rec.To == "":
		return "submit record without recipient"
	case rec.Body == "":
		return "submit record without body"
	}
	for _, f := range [...]struct{ name, v string }{
		{"id", rec.Id}, {"tenant_id", rec.TenantId}, {"to", rec.To}, {"campaign_id", rec.CampaignId},
		{"region", rec.Region}, {"origin", rec.Origin},
	} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return "submit record " + f.name + " holds a NUL"
		}
	}
	return ""
}

// deadLetter puts m on the dead-letter topic and, when the message is
// known, records it FAILED "dead-lettered".
func (c *Consumer) deadLetter(ctx context.Context, m kafka.Message, rec *recordv1.Submit, why string, log *slog.Logger) bool {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.submit)
	defer cancel()
	if err := c.dlq.send(dctx, m, why); err != nil {
		log.Error("dead-letter", "offset", m.Offset, "err", err)
		return false
	}
	c.metrics.addDeadLettered()
	log.Warn("dead-lettered", "offset", m.Offset, "reason", why)
	if rec == nil || rec.Id == "" || rec.TenantId == "" {
		return true
	}
	ev := submitEvent(rec, core.StatusFailed, c.now())
	ev.Reason = reasonDeadLettered + ": " + why
	c.metrics.addFinal(core.StatusFailed)
	return c.emit(ctx, ev)
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

// delivery is one message's way to a carrier.
type delivery struct {
	c       *Consumer
	msg     kafka.Message
	rec     *recordv1.Submit
	ref     Ref
	sub     carriers.Submission
	log     *slog.Logger
	intent  int64        // the token of this attempt's intent (Ledger.Begin); new after each submit
	inDoubt bool         // some earlier submit of it was in doubt
	pace    *Reservation // the submit it waited for in place under the tenant's limits (Limits.Pace), until it goes
	held    time.Time    // the submit it held while it waited in the scheduler (Limits.Pace)
}

// durable gives work that must not be cut short once a submit may be on
// the wire: it outlives ctx for a bounded time.
func (d *delivery) durable(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d.c.submit)
}

// try makes one attempt: pick a carrier, intent, submit, answer, event.
// It holds one of the instance's carrier slots from before the intent
// until the answer has its place in the ledger's queue: any intent queued
// later commits with that answer or after it, so at no commit are more
// intents without an answer than there are slots, and the slot is free
// for the next message while the answer commits. When again is true, another attempt follows after
// wait; otherwise finished tells whether the outcome is durable.
func (d *delivery) try(ctx context.Context, attempt int) (finished bool, wait time.Duration, again bool) {
	c, rec := d.c, d.rec
	retry := c.retry.Delay(attempt)
	carrier, err := c.picker.Pick(rec.To)
	switch {
	case errors.Is(err, carriers.ErrNoRoute):
		ev := submitEvent(rec, core.StatusFailed, c.now())
		ev.Reason = "no carrier route for the destination"
		c.metrics.addFinal(core.StatusFailed)
		return c.emit(ctx, ev), 0, false
	case err != nil:
		// Every carrier for the destination is down or open: wait for one.
		d.log.Debug("no carrier available", "id", rec.Id, "err", err)
		return false, retry, true
	}
	ref := d.ref
	ref.Carrier = carrier.Name()
	if !c.slots.acquire(ctx, d.sub.Priority) {
		return false, 0, false
	}
	held := true
	release := func() {
		if held {
			c.slots.release()
			held = false
		}
	}
	defer release()
	switch {
	case d.pace != nil:
		d.pace = nil // it has waited for its submit: it goes now
	case !d.held.IsZero():
		// Back for the submit it held (Limits.Pace). Late for it, it goes
		// all the same rather than wait for another, which it could be late
		// for again; the messages after it wait for it instead.
		if c.now().After(d.held.Add(heldSubmitLate)) {
			c.limits.Charge(rec.TenantId, rec.From)
		}
		d.held = time.Time{}
	default:
		// Its turn may be long past: it waited for this slot behind a
		// carrier that hung, or in the scheduler behind a backlog.
		r := c.limits.Pace(rec.TenantId, rec.From, d.ref.Category, scheduleSlack)
		switch {
		case r.Wait > scheduleSlack:
			release()
			next := proto.CloneOf(rec)
			next.RateTurn = r.Mark
			return c.deferReserved(ctx, d.msg, next, c.now().Add(r.Wait), deferRateLimit, d.log, r), 0, false
		case r.Wait > 0:
			release()
			d.pace = &r
			return false, r.Wait, true
		}
	}

	p, err := c.ledger.Begin(ctx, ref, d.intent)
	switch {
	case errors.Is(err, ErrUnstorable):
		release()
		return c.deadLetter(ctx, d.msg, rec, "ledger: "+err.Error(), d.log), 0, false
	case err != nil:
		// Its intent may have been written all the same: the next Begin,
		// with the same token, finds it as its own, not in doubt.
		d.log.Warn("ledger begin", "id", rec.Id, "err", err)
		return false, retry, true
	}
	d.inDoubt = d.inDoubt || p.inDoubt
	switch {
	case p.state == stateAccepted:
		// Accepted before (an earlier owner died before committing):
		// never again. Its event may not have been written; write it.
		release()
		ev := submitEvent(rec, core.StatusSubmitted, c.now())
		ev.Carrier, ev.Segments = p.carrier, int32(len(p.carrierIDs))
		if len(p.carrierIDs) > 0 {
			ev.CarrierMessageId = p.carrierIDs[0]
		}
		return c.emit(ctx, ev), 0, false
	case p.state == stateCanceled:
		release()
		return c.emitCanceled(ctx, rec), 0, false
	case p.state == stateFailed:
		// Failed before: write its event again, as it was.
		release()
		ev := submitEvent(rec, core.StatusFailed, c.now())
		ev.Carrier, ev.ErrorCode, ev.Reason, ev.InDoubt = p.carrier, p.errorCode, p.reason, p.errorCode == errorCodeInDoubt
		return c.emit(ctx, ev), 0, false
	case p.inDoubt:
		policy := c.policy(p.doubtCarrier)
		c.metrics.addInDoubt(policy)
		d.log.Warn("submit in doubt", "id", rec.Id, "carrier", p.doubtCarrier, "policy", policy.String())
		if policy == Fail {
			if err := d.answer(ctx, answer{messageID: rec.Id, state: stateFailed, carrier: p.doubtCarrier, errorCode: errorCodeInDoubt, reason: reasonOutcomeUnknown}, release); err != nil {
				return d.unanswered(ctx, err), 0, false
			}
			ev := submitEvent(rec, core.StatusFailed, c.now())
			ev.Carrier, ev.Reason, ev.InDoubt = p.doubtCarrier, reasonOutcomeUnknown, true
			c.metrics.addFinal(core.StatusFailed)
			return c.emit(ctx, ev), 0, false
		}
	}

	// The intent is durable: submit. From here the work finishes even if
	// the partition is being revoked — a message on the wire is better
	// answered than left in doubt.
	sctx, cancel := d.durable(ctx)
	acc, err := carrier.Submit(sctx, &d.sub)
	cancel()
	d.intent = newIntentToken() // a Begin from now on is another attempt's
	switch {
	case err == nil:
		if err := d.answer(ctx, answer{messageID: rec.Id, state: stateAccepted, carrier: ref.Carrier, ids: acc.IDs}, release); err != nil {
			return d.unanswered(ctx, err), 0, false
		}
		c.metrics.addSubmitted()
		ev := submitEvent(rec, core.StatusSubmitted, c.now())
		ev.Carrier, ev.Segments, ev.InDoubt = ref.Carrier, int32(len(acc.IDs)), d.inDoubt
		if len(acc.IDs) > 0 {
			ev.CarrierMessageId = acc.IDs[0]
		}
		return c.emit(ctx, ev), 0, false
	case errors.Is(err, carriers.ErrInDoubt):
		// Nothing recorded: the next Begin finds the intent and counts it.
		d.log.Warn("submit outcome unknown", "id", rec.Id, "carrier", ref.Carrier, "err", err)
		return false, 0, true
	case errors.Is(err, carriers.ErrUnavailable):
		// Not on the wire: record it so the next attempt is not mistaken for
		// one in doubt, then wait here (or on another carrier).
		if err := d.answer(ctx, answer{messageID: rec.Id, state: stateRefused, carrier: ref.Carrier}, release); err != nil {
			return d.unanswered(ctx, err), 0, false
		}
		c.metrics.addRetry()
		return false, retry, true
	case carriers.IsRetriable(err):
		// Refused for now: retry later through the scheduler, so the
		// partition goes on meanwhile.
		if err := d.answer(ctx, answer{messageID: rec.Id, state: stateRefused, carrier: ref.Carrier}, release); err != nil {
			return d.unanswered(ctx, err), 0, false
		}
		attempts := rec.Attempts + 1
		if int(attempts) >= c.retry.Attempts {
			return d.fail(ctx, ref, err, int(attempts), fmt.Sprintf("gave up after %d attempts: %v", attempts, err)), 0, false
		}
		wait := c.retry.Delay(int(attempts))
		var b *carriers.BackoffError
		if errors.As(err, &b) {
			wait = max(wait, b.Wait)
		}
		c.metrics.addRetry()
		d.log.Debug("submit retry scheduled", "id", rec.Id, "attempts", attempts, "in", wait, "err", err)
		next := proto.Clone(rec).(*recordv1.Submit)
		next.Attempts = attempts
		return c.deferTo(ctx, d.msg, next, c.now().Add(wait), deferRetry, d.log), 0, false
	default:
		release()
		return d.fail(ctx, ref, err, int(rec.Attempts)+1, fmt.Sprintf("carrier refused the message: %v", err)), 0, false
	}
}

// fail records a permanent failure in the ledger and its event.
func (d *delivery) fail(ctx context.Context, ref Ref, err error, attempts int, reason string) bool {
	code := carriers.StatusCode(err)
	if err := d.answer(ctx, answer{messageID: d.rec.Id, state: stateFailed, carrier: ref.Carrier, errorCode: code, reason: reason}, nil); err != nil {
		return d.unanswered(ctx, err)
	}
	ev := submitEvent(d.rec, core.StatusFailed, d.c.now())
	ev.Carrier, ev.ErrorCode, ev.Reason = ref.Carrier, code, reason
	d.c.metrics.addFinal(core.StatusFailed)
	return d.c.emit(ctx, ev)
}

// answer records a in the ledger, outliving ctx: the ledger keeps an
// answer it could not write and writes it again until it can, so this
// returns an error only when the ledger refused a for good
// (ErrUnstorable) or stopped with the process. queued, if not nil, runs
// once a has its place in the ledger's queue (see Ledger.Answer).
func (d *delivery) answer(ctx context.Context, a answer, queued func()) error {
	err := d.c.ledger.Answer(context.WithoutCancel(ctx), a, queued)
	if err != nil {
		d.log.Warn("ledger answer", "id", a.messageID, "err", err)
	}
	return err
}

// unanswered ends an attempt whose answer the ledger did not take: a
// message whose answer it refused for good goes to the dead-letter topic;
// otherwise the ledger stopped, and the message is left unfinished.
func (d *delivery) unanswered(ctx context.Context, err error) bool {
	if errors.Is(err, ErrUnstorable) {
		return d.c.deadLetter(ctx, d.msg, d.rec, "ledger answer: "+err.Error(), d.log)
	}
	return false
}

// emit writes events, retrying until Kafka takes them. Once an outcome is
// durable its event must follow, so a revoked partition still gets a
// bounded time to write it.
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
