package pipeline

import (
	"context"
	"time"

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
	// FrequencyCap is tenant's cap on marketing messages per recipient.
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

// sendCheck is what the ledger's Begin checks for rec (sendCheck): its
// recipient's consent key, and for marketing its tenant's cap.
func (c *Consumer) sendCheck(rec *recordv1.Submit) sendCheck {
	if c.consent == nil || consent.IsExempt(rec.Origin) {
		return sendCheck{}
	}
	sc := sendCheck{key: c.consent.ConsentKey(rec.TenantId, rec.To)}
	if core.Category(rec.Category) == core.CategoryMarketing {
		fc := c.consent.FrequencyCap(rec.TenantId)
		sc.capMax, sc.capWindow, sc.capDefer = fc.Max, time.Duration(fc.Window), fc.Defer
	}
	return sc
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

// capped holds a message over its recipient's frequency cap, for a
// tenant whose cap defers, until p.capUntil: its intent is answered
// refused (not on the wire, so the next attempt is not in doubt) and it
// waits in the scheduler.
func (d *delivery) capped(ctx context.Context, ref Ref, p prior) outcome {
	if err := d.answer(ctx, answer{messageID: d.rec.Id, state: stateRefused, carrier: ref.Carrier}, d.releaseSlot); err != nil {
		return ended(d.unanswered(ctx, err))
	}
	return ended(d.c.deferTo(ctx, d.msg, d.rec, *p.capUntil, deferFrequencyCap, d.log))
}
