package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// scheduleSlack: a message due this soon waits for its time in the
// partition's window rather than in the scheduler.
const scheduleSlack = 500 * time.Millisecond

// deliver takes one message through its checks, its wait for its time,
// its recipient's quiet hours and frequency cap and its tenant's limits, then through the
// ledger and the carrier (delivery.run), and records the outcome. It
// returns false if ctx ended before the outcome was durable; the message
// is then left to the partition's next owner. A message that cannot be
// processed goes to the dead-letter topic.
func (c *Consumer) deliver(ctx context.Context, m kafka.Message, rec *recordv1.Submit, log *slog.Logger) (finished bool) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic processing a message", "offset", m.Offset, "panic", p, "stack", string(debug.Stack()))
			finished = c.deadLetter(ctx, m, rec, fmt.Sprintf("panic: %v", p), log)
		}
	}()
	now := c.now()
	if o := c.check(ctx, m, rec, now, log); o.kind != goOn {
		return o.kind == done
	}
	now, o := c.untilDue(ctx, m, rec, now, log)
	if o.kind != goOn {
		return o.kind == done
	}
	if o := c.campaignHold(ctx, m, rec, now, log); o.kind != goOn {
		return o.kind == done
	}
	if o := c.quietHours(ctx, m, rec, now, log); o.kind != goOn {
		return o.kind == done
	}
	if o := c.frequencyCap(ctx, m, rec, now, log); o.kind != goOn {
		return o.kind == done
	}
	if o := c.takeTurn(ctx, m, rec, now, log); o.kind != goOn {
		return o.kind == done
	}
	return c.newDelivery(m, rec, log).run(ctx)
}

// check ends a message that cannot go at all: undecodable or invalid (to
// the dead-letter topic), past its validity (EXPIRED), or refused by its
// recipient's consent (FAILED).
func (c *Consumer) check(ctx context.Context, m kafka.Message, rec *recordv1.Submit, now time.Time, log *slog.Logger) outcome {
	if rec == nil {
		return ended(c.deadLetter(ctx, m, nil, "undecodable submit record", log))
	}
	if reason := invalidRecord(rec); reason != "" {
		return ended(c.deadLetter(ctx, m, rec, reason, log))
	}
	if rec.ValidUntil != nil && now.After(rec.ValidUntil.AsTime()) {
		ev := submitEvent(rec, core.StatusExpired, now)
		ev.Reason = "validity period ended before the message could be sent"
		c.metrics.addFinal(core.StatusExpired)
		return ended(c.emit(ctx, ev))
	}
	return c.checkConsent(ctx, rec, now)
}

// untilDue holds a message until its time (Submit.not_before: its send_at,
// a retry's, or its turn under its tenant's limits): in the scheduler when
// it is further off than scheduleSlack, here otherwise. It returns the
// time it goes on at.
func (c *Consumer) untilDue(ctx context.Context, m kafka.Message, rec *recordv1.Submit, now time.Time, log *slog.Logger) (time.Time, outcome) {
	if rec.NotBefore == nil {
		return now, outcome{}
	}
	switch due := rec.NotBefore.AsTime(); {
	case due.After(now.Add(scheduleSlack)):
		reason := deferSendAt
		switch {
		case rec.RateTurn != "":
			reason = deferRateLimit // keeps its turn
		case rec.Attempts > 0:
			reason = deferRetry
		}
		return now, ended(c.deferTo(ctx, m, rec, due, reason, log))
	case due.After(now):
		// Due within the slack: wait for it here rather than send early.
		if !sleepCtx(ctx, due.Sub(now)) {
			return now, outcome{kind: unfinished}
		}
		return c.now(), outcome{}
	}
	return now, outcome{}
}

// quietHours holds a marketing message outside its recipient's sending
// window, per its tenant's policy, in the scheduler.
func (c *Consumer) quietHours(ctx context.Context, m kafka.Message, rec *recordv1.Submit, now time.Time, log *slog.Logger) outcome {
	if core.Category(rec.Category) != core.CategoryMarketing || c.quiet == nil {
		return outcome{}
	}
	if n, err := c.phones.Parse(rec.To, ""); err == nil {
		if d := c.quiet(rec.TenantId).Check(now, core.CategoryMarketing, n); !d.Allowed {
			return ended(c.deferTo(ctx, m, rec, d.NextAllowed, deferQuietHours, log))
		}
	}
	return outcome{}
}

// takeTurn takes the message's turn under its tenant's and sender id's
// limits, unless it holds one already (Limits.Holds), and waits for it.
func (c *Consumer) takeTurn(ctx context.Context, m kafka.Message, rec *recordv1.Submit, now time.Time, log *slog.Logger) outcome {
	if c.limits.Holds(rec.RateTurn) {
		return outcome{}
	}
	r := c.limits.Reserve(rec.TenantId, rec.From, core.Category(rec.Category), rec.RateTurn)
	if r.Wait > scheduleSlack {
		// The tenant's or sender id's turn is further off: the message
		// waits for it in the scheduler, not in the partition, whose
		// other tenants' messages would wait behind it.
		turn := proto.CloneOf(rec)
		turn.RateTurn = r.Mark
		// Expired or canceled instead, or not deferred at all, the
		// message gives its turn or place in line back.
		return ended(c.deferReserved(ctx, m, turn, now.Add(r.Wait), deferRateLimit, log, r))
	}
	if !sleepCtx(ctx, r.Wait) {
		r.Cancel()
		return outcome{kind: unfinished}
	}
	return outcome{}
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
