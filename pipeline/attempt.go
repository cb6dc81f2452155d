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

// outcome is how a step of a message's delivery, or one attempt of it
// (delivery.try), ended.
type outcome struct {
	kind outcomeKind
	wait time.Duration // with retryAfter and pacedAfter: before the next attempt
}

// outcomeKind says what follows a step or an attempt.
type outcomeKind uint8

const (
	// goOn: the step is done and the next step follows. An attempt never
	// ends with it.
	goOn outcomeKind = iota
	// done: the message is finished: its outcome is durable (ledger row
	// and event written, or dead-lettered).
	done
	// unfinished: ctx ended, or a write the outcome needed failed, before
	// the outcome was durable; the message is left to run again.
	unfinished
	// retryAfter: the attempt failed for now (no carrier up, the ledger
	// unreachable, the carrier unavailable or its answer in doubt);
	// another follows after wait, counted as the next attempt.
	retryAfter
	// pacedAfter: the message waits in place for its submit under its
	// tenant's limits (Limits.Pace); the attempt is made again after
	// wait, not counted as a failed one.
	pacedAfter
)

// ended is the outcome of a step that settled the message: done when
// finished, unfinished otherwise.
func ended(finished bool) outcome {
	if finished {
		return outcome{kind: done}
	}
	return outcome{kind: unfinished}
}

// heldSubmitLate: a message back from the scheduler up to this late for
// the submit it held under its tenant's limits goes at it; one later is
// counted again when it goes, so that the messages after it make up for it.
const heldSubmitLate = time.Second

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
	slot    bool         // the attempt holds one of the instance's carrier slots (Consumer.slots)
}

// newDelivery returns rec's way to a carrier.
func (c *Consumer) newDelivery(m kafka.Message, rec *recordv1.Submit, log *slog.Logger) *delivery {
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
	return d
}

// run makes attempts until one settles the message, and reports whether
// it is finished.
func (d *delivery) run(ctx context.Context) bool {
	for attempt := 1; ; {
		if ctx.Err() != nil {
			return false
		}
		o := d.try(ctx, attempt)
		switch o.kind {
		case done:
			return true
		case unfinished:
			return false
		case retryAfter:
			attempt++
		}
		if !sleepCtx(ctx, o.wait) {
			if d.pace != nil {
				d.pace.Cancel() // it does not go now: the submit it waited for is not used
			}
			return false
		}
	}
}

// try makes one attempt: pick a carrier, take a carrier slot and the
// submit under the tenant's limits, record the intent and settle what an
// earlier attempt left, submit, and classify the answer.
//
// It holds the slot from before the intent until the answer has its place
// in the ledger's queue: any intent queued later commits with that answer
// or after it, so at no commit are more intents without an answer than
// there are slots, and the slot is free for the next message while the
// answer commits.
func (d *delivery) try(ctx context.Context, attempt int) outcome {
	carrier, o := d.pick(ctx, attempt)
	if o.kind != goOn {
		return o
	}
	ref := d.ref
	ref.Carrier = carrier.Name()
	if !d.c.slots.acquire(ctx, d.sub.Priority) {
		return outcome{kind: unfinished}
	}
	d.slot = true
	defer d.releaseSlot()
	if o := d.paceSubmit(ctx); o.kind != goOn {
		return o
	}
	if o := d.settle(ctx, ref, attempt); o.kind != goOn {
		return o
	}
	acc, err := d.submit(ctx, carrier)
	return d.classify(ctx, ref, acc, err, attempt)
}

// again is the outcome of an attempt that failed for now: the next one
// follows after the retry backoff's wait.
func (d *delivery) again(attempt int) outcome {
	return outcome{kind: retryAfter, wait: d.c.retry.Delay(attempt)}
}

// releaseSlot frees the attempt's carrier slot, if it still holds it.
func (d *delivery) releaseSlot() {
	if d.slot {
		d.c.slots.release()
		d.slot = false
	}
}

// pick chooses the carrier. A destination without a route fails; while
// every carrier for it is down or open, the attempt waits for one.
func (d *delivery) pick(ctx context.Context, attempt int) (carriers.Carrier, outcome) {
	c, rec := d.c, d.rec
	carrier, err := c.picker.Pick(rec.To)
	switch {
	case errors.Is(err, carriers.ErrNoRoute):
		ev := submitEvent(rec, core.StatusFailed, c.now())
		ev.Reason = "no carrier route for the destination"
		c.metrics.addFinal(core.StatusFailed)
		return nil, ended(c.emit(ctx, ev))
	case err != nil:
		d.log.Debug("no carrier available", "id", rec.Id, "err", err)
		return nil, d.again(attempt)
	}
	return carrier, outcome{}
}

// paceSubmit takes the message's submit under its tenant's limits: the
// one it waited for in place, or held while it waited in the scheduler,
// or a new one (Limits.Pace), for which it waits, in place or in the
// scheduler, when its turn is long past. It gives the slot up while it
// waits.
func (d *delivery) paceSubmit(ctx context.Context) outcome {
	c, rec := d.c, d.rec
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
		// Its turn may be long past: it waited for the slot behind a
		// carrier that hung, or in the scheduler behind a backlog.
		r := c.limits.Pace(rec.TenantId, rec.From, d.ref.Category, scheduleSlack)
		switch {
		case r.Wait > scheduleSlack:
			d.releaseSlot()
			next := proto.CloneOf(rec)
			next.RateTurn = r.Mark
			return ended(c.deferReserved(ctx, d.msg, next, c.now().Add(r.Wait), deferRateLimit, d.log, r))
		case r.Wait > 0:
			d.releaseSlot()
			d.pace = &r
			return outcome{kind: pacedAfter, wait: r.Wait}
		}
	}
	return outcome{}
}

// settle records the intent to submit (Ledger.Begin) and settles what an
// earlier attempt left: a message accepted, canceled or failed before is
// never submitted again, and its event is written (again); one whose
// earlier submit is in doubt is counted, and fails as "outcome unknown"
// if its carrier's policy is Fail. It goes on when the message is to be
// submitted now.
func (d *delivery) settle(ctx context.Context, ref Ref, attempt int) outcome {
	c, rec := d.c, d.rec
	p, err := c.ledger.Begin(ctx, ref, d.intent)
	switch {
	case errors.Is(err, ErrUnstorable):
		d.releaseSlot()
		return ended(c.deadLetter(ctx, d.msg, rec, "ledger: "+err.Error(), d.log))
	case err != nil:
		// Its intent may have been written all the same: the next Begin,
		// with the same token, finds it as its own, not in doubt.
		d.log.Warn("ledger begin", "id", rec.Id, "err", err)
		return d.again(attempt)
	}
	d.inDoubt = d.inDoubt || p.inDoubt
	switch {
	case p.state == stateAccepted:
		// Accepted before (an earlier owner died before committing):
		// never again. Its event may not have been written; write it.
		d.releaseSlot()
		ev := submitEvent(rec, core.StatusSubmitted, c.now())
		ev.Carrier, ev.Segments = p.carrier, int32(len(p.carrierIDs))
		if len(p.carrierIDs) > 0 {
			ev.CarrierMessageId = p.carrierIDs[0]
		}
		return ended(c.emit(ctx, ev))
	case p.state == stateCanceled:
		d.releaseSlot()
		return ended(c.emitCanceled(ctx, rec))
	case p.state == stateFailed:
		// Failed before: write its event again, as it was.
		d.releaseSlot()
		ev := submitEvent(rec, core.StatusFailed, c.now())
		ev.Carrier, ev.ErrorCode, ev.Reason, ev.InDoubt = p.carrier, p.errorCode, p.reason, p.errorCode == errorCodeInDoubt
		return ended(c.emit(ctx, ev))
	case p.inDoubt:
		policy := c.policy(p.doubtCarrier)
		c.metrics.addInDoubt(policy)
		d.log.Warn("submit in doubt", "id", rec.Id, "carrier", p.doubtCarrier, "policy", policy.String())
		if policy == Fail {
			return d.failInDoubt(ctx, p.doubtCarrier)
		}
	}
	return outcome{}
}

// failInDoubt fails the message as "outcome unknown": its earlier submit
// to carrier is in doubt, and carrier's policy is Fail.
func (d *delivery) failInDoubt(ctx context.Context, carrier string) outcome {
	a := answer{messageID: d.rec.Id, state: stateFailed, carrier: carrier, errorCode: errorCodeInDoubt, reason: reasonOutcomeUnknown}
	if err := d.answer(ctx, a, d.releaseSlot); err != nil {
		return ended(d.unanswered(ctx, err))
	}
	ev := submitEvent(d.rec, core.StatusFailed, d.c.now())
	ev.Carrier, ev.Reason, ev.InDoubt = carrier, reasonOutcomeUnknown, true
	d.c.metrics.addFinal(core.StatusFailed)
	return ended(d.c.emit(ctx, ev))
}

// submit hands the message to carrier. Its intent is durable: from here
// the work finishes even if the partition is being revoked, since a
// message on the wire is better answered than left in doubt.
func (d *delivery) submit(ctx context.Context, carrier carriers.Carrier) (carriers.Accepted, error) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.c.submit)
	acc, err := carrier.Submit(sctx, &d.sub)
	cancel()
	d.intent = newIntentToken() // a Begin from now on is another attempt's
	return acc, err
}

// classify records the carrier's answer to the submit and says what
// follows: accepted, the message is submitted; in doubt, another attempt
// finds the intent and counts it; refused for now, it is retried, here
// while the carrier is unavailable, through the scheduler otherwise;
// refused for good, it fails.
func (d *delivery) classify(ctx context.Context, ref Ref, acc carriers.Accepted, err error, attempt int) outcome {
	c, rec := d.c, d.rec
	switch {
	case err == nil:
		if err := d.answer(ctx, answer{messageID: rec.Id, state: stateAccepted, carrier: ref.Carrier, ids: acc.IDs}, d.releaseSlot); err != nil {
			return ended(d.unanswered(ctx, err))
		}
		c.metrics.addSubmitted()
		ev := submitEvent(rec, core.StatusSubmitted, c.now())
		ev.Carrier, ev.Segments, ev.InDoubt = ref.Carrier, int32(len(acc.IDs)), d.inDoubt
		if len(acc.IDs) > 0 {
			ev.CarrierMessageId = acc.IDs[0]
		}
		return ended(c.emit(ctx, ev))
	case errors.Is(err, carriers.ErrInDoubt):
		// Nothing recorded: the next Begin finds the intent and counts it.
		d.log.Warn("submit outcome unknown", "id", rec.Id, "carrier", ref.Carrier, "err", err)
		return outcome{kind: retryAfter}
	case errors.Is(err, carriers.ErrUnavailable):
		// Not on the wire: record it so the next attempt is not mistaken for
		// one in doubt, then wait here (or on another carrier).
		if err := d.answer(ctx, answer{messageID: rec.Id, state: stateRefused, carrier: ref.Carrier}, d.releaseSlot); err != nil {
			return ended(d.unanswered(ctx, err))
		}
		c.metrics.addRetry()
		return d.again(attempt)
	case carriers.IsRetriable(err):
		return d.retryLater(ctx, ref, err)
	default:
		d.releaseSlot()
		return ended(d.fail(ctx, ref, err, int(rec.Attempts)+1, fmt.Sprintf("carrier refused the message: %v", err)))
	}
}

// retryLater records a submit the carrier refused for now and puts the
// message aside in the scheduler for its retry, so that its partition goes
// on meanwhile, or fails it after the last attempt.
func (d *delivery) retryLater(ctx context.Context, ref Ref, err error) outcome {
	c, rec := d.c, d.rec
	if err := d.answer(ctx, answer{messageID: rec.Id, state: stateRefused, carrier: ref.Carrier}, d.releaseSlot); err != nil {
		return ended(d.unanswered(ctx, err))
	}
	attempts := rec.Attempts + 1
	if int(attempts) >= c.retry.Attempts {
		return ended(d.fail(ctx, ref, err, int(attempts), fmt.Sprintf("gave up after %d attempts: %v", attempts, err)))
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
	return ended(c.deferTo(ctx, d.msg, next, c.now().Add(wait), deferRetry, d.log))
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
