package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// deferTo puts rec, read from m, aside in the scheduler until due and
// records that it waits. rec holds nothing reserved for this wait. If
// Cancel withdrew it meanwhile and it comes back from the marketing line
// (rate_turn lineMark), it gives its place in the line back.
func (c *Consumer) deferTo(ctx context.Context, m kafka.Message, rec *recordv1.Submit, due time.Time, reason string, log *slog.Logger) bool {
	if expiresBefore(rec, due) {
		return c.emitExpiresBefore(ctx, rec, due, reason)
	}
	canceled, err := c.schedule(ctx, rec, due, reason)
	switch {
	case err != nil:
		return c.unscheduled(ctx, m, rec, err, log)
	case canceled:
		if rec.RateTurn == lineMark {
			c.limits.Leave(rec.TenantId, rec.From)
		}
		return c.emitCanceled(ctx, rec)
	}
	return c.emitWaiting(ctx, rec, due, reason)
}

// deferReserved is deferTo for a message that has just reserved r, its
// turn or its place in the marketing line, to wait for. The message gives
// r back when it does not wait after all: it expires first, Cancel
// withdrew it, or it could not be put aside.
func (c *Consumer) deferReserved(ctx context.Context, m kafka.Message, rec *recordv1.Submit, due time.Time, reason string, log *slog.Logger, r Reservation) bool {
	if expiresBefore(rec, due) {
		r.Cancel()
		return c.emitExpiresBefore(ctx, rec, due, reason)
	}
	canceled, err := c.schedule(ctx, rec, due, reason)
	switch {
	case err != nil:
		r.Cancel()
		return c.unscheduled(ctx, m, rec, err, log)
	case canceled:
		r.Cancel()
		return c.emitCanceled(ctx, rec)
	}
	return c.emitWaiting(ctx, rec, due, reason)
}

// expiresBefore tells whether rec's validity ends before due.
func expiresBefore(rec *recordv1.Submit, due time.Time) bool {
	return rec.ValidUntil != nil && due.After(rec.ValidUntil.AsTime())
}

// schedule writes rec's wait until due to the scheduler's table. It
// reports canceled, writing nothing, when Cancel withdrew the message.
func (c *Consumer) schedule(ctx context.Context, rec *recordv1.Submit, due time.Time, reason string) (canceled bool, err error) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.submit)
	defer cancel()
	next := withNotBefore(rec, due, rec.Attempts)
	if reason != deferRateLimit {
		next.RateTurn = "" // only a wait for its turn keeps the turn
	}
	return c.deferrals.do(dctx, deferral{rec: next, due: due, reason: reason})
}

// unscheduled ends a message the scheduler's table did not take: one it
// refused for good goes to the dead-letter topic; otherwise the message
// is left unfinished.
func (c *Consumer) unscheduled(ctx context.Context, m kafka.Message, rec *recordv1.Submit, err error, log *slog.Logger) bool {
	if errors.Is(err, ErrUnstorable) {
		return c.deadLetter(ctx, m, rec, "defer: "+err.Error(), log)
	}
	log.Warn("defer message", "id", rec.Id, "err", err)
	return false
}

// emitExpiresBefore records rec EXPIRED: its validity ends before due.
func (c *Consumer) emitExpiresBefore(ctx context.Context, rec *recordv1.Submit, due time.Time, reason string) bool {
	ev := submitEvent(rec, core.StatusExpired, c.now())
	ev.Reason = fmt.Sprintf("validity period ends before the message could go out (%s until %s)", reason, due.UTC().Format(time.RFC3339))
	c.metrics.addFinal(core.StatusExpired)
	return c.emit(ctx, ev)
}

// emitWaiting records that rec waits until due.
func (c *Consumer) emitWaiting(ctx context.Context, rec *recordv1.Submit, due time.Time, reason string) bool {
	c.metrics.addDeferred(reason)
	ev := submitEvent(rec, core.StatusQueued, c.now())
	ev.Reason = fmt.Sprintf("waiting until %s (%s)", due.UTC().Format(time.RFC3339), reason)
	return c.emit(ctx, ev)
}
