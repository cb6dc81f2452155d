package pipeline

import (
	"context"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// ConsentRules are what the partition actors check a message against
// before its submit. pipeline/consent's Set with its tenants' policies is
// one (cmd/tern wires them); none checks nothing.
type ConsentRules interface {
	// ConsentCheck is the in-memory check, made when a message comes to
	// its actor (again after a wait in the scheduler).
	ConsentCheck
	// ConsentKey is number's key in the consent ledger's state table,
	// which the ledger's Begin reads in the statement recording the
	// intent: a STOP committed before it wins.
	ConsentKey(tenant, number string) []byte
	// FrequencyCap is tenant's cap on marketing messages per recipient,
	// from memory.
	FrequencyCap(tenant string) consent.FrequencyCap
}

// WithConsentRules checks every message against r: refused by its
// recipient's consent, it ends FAILED with the reason ("opted out", "no
// marketing consent"), never submitted; a marketing message over its
// tenant's frequency cap ends FAILED "frequency cap", or waits in the
// scheduler until the cap lets it go when the tenant's cap defers.
// Messages tern sends about consent itself (core/consent.IsExempt) pass.
func WithConsentRules(r ConsentRules) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.consent = r })
}

// checkConsent ends a message its recipient's consent refuses, by the
// in-memory state: FAILED with the refusal's reason.
func (c *Consumer) checkConsent(ctx context.Context, rec *recordv1.Submit, now time.Time) outcome {
	if c.consent == nil {
		return outcome{}
	}
	err := c.consent.Check(rec.TenantId, rec.To, core.Category(rec.Category), rec.Origin)
	if err == nil {
		return outcome{}
	}
	ev := submitEvent(rec, core.StatusFailed, now)
	ev.Reason = consent.Reason(err)
	c.metrics.addFinal(core.StatusFailed)
	return ended(c.emit(ctx, ev))
}

// consentKey is rec's recipient's key, which the ledger's Begin checks;
// nil for tern's own consent messages, or without consent rules.
func (c *Consumer) consentKey(rec *recordv1.Submit) []byte {
	if c.consent == nil || consent.IsExempt(rec.Origin) {
		return nil
	}
	return c.consent.ConsentKey(rec.TenantId, rec.To)
}

// frequencyCap holds back a marketing message over its recipient's cap
// under its tenant's policy: FAILED "frequency cap", or with a cap that
// defers, in the scheduler until the window lets it go. It counts the
// recipient's marketing intents in the delivery ledger (Ledger.capUntil):
// messages to one recipient share a partition and go one at a time, so
// the count holds every earlier one, whichever instance sent it, and
// nothing is to be rebuilt when a partition moves. A ledger error leaves
// the message to run again.
func (c *Consumer) frequencyCap(ctx context.Context, m kafka.Message, rec *recordv1.Submit, now time.Time, log *slog.Logger) outcome {
	if c.consent == nil || core.Category(rec.Category) != core.CategoryMarketing || consent.IsExempt(rec.Origin) {
		return outcome{}
	}
	fc := c.consent.FrequencyCap(rec.TenantId)
	if fc.Max <= 0 {
		return outcome{}
	}
	until, err := c.ledger.capUntil(ctx, rec, fc.Max, time.Duration(fc.Window))
	switch {
	case err != nil:
		log.Warn("frequency cap", "id", rec.Id, "err", err)
		return outcome{kind: unfinished}
	case !until.After(now):
		return outcome{}
	case fc.Defer:
		return ended(c.deferTo(ctx, m, rec, until, deferFrequencyCap, log))
	}
	ev := submitEvent(rec, core.StatusFailed, now)
	ev.Reason = consent.ReasonFrequencyCap
	c.metrics.addFinal(core.StatusFailed)
	return ended(c.emit(ctx, ev))
}

// refused ends a message its Begin refused (prior.refused): FAILED with
// the reason the ledger recorded.
func (d *delivery) refused(ctx context.Context, p prior) outcome {
	d.releaseSlot()
	ev := submitEvent(d.rec, core.StatusFailed, d.c.now())
	ev.Reason = p.reason
	d.c.metrics.addFinal(core.StatusFailed)
	return ended(d.c.emit(ctx, ev))
}
