package analytics

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/phone"
)

// enricher adds to a row, at write time, what its record lacks and tern
// knows: the destination country from the number, and on a carrier's
// accept what the carrier charges for the message.
type enricher struct {
	costs  Costs
	phones *phone.Cache
}

// phoneCacheSize bounds the parsed numbers the writer keeps.
const phoneCacheSize = 1 << 16

func newEnricher(c Costs) enricher {
	return enricher{costs: c, phones: phone.NewCache(phoneCacheSize)}
}

func (e enricher) enrich(r *Row) {
	if r.Region == "" && r.Recipient != "" {
		if n, err := e.phones.Inspect(r.Recipient, ""); err == nil {
			r.Region = n.Region
		}
	}
	if e.costs == nil || r.Status != core.StatusSubmitted || r.Carrier == "" || r.CostCurrency != "" {
		return
	}
	if per, cur, ok := e.costs.Cost(r.Carrier, r.Recipient); ok && cur != "" {
		r.CostMicros, r.CostCurrency = per*int64(max(r.Segments, 1)), cur
	}
}

// addEngagement converts a record of one of the engagement topics
// (engagements, replies, clicks, attributions, verify) into b; a reply
// that is not an opt-out and a verify event that is not an approval add
// nothing. The record's offset is committed with the batch either way.
func (w *Writer) addEngagement(b *batch, m *kgo.Record) error {
	var (
		e   Engagement
		ok  = true
		err error
	)
	switch m.Topic {
	case w.kc.EngagementsTopic:
		e, err = engagementRow(m.Value, m.Timestamp)
	case w.kc.RepliesTopic:
		e, ok, err = replyOptOut(m.Value, m.Timestamp)
	case w.kc.ClicksTopic:
		e, err = clickEngagement(m.Value, m.Timestamp)
	case w.kc.AttributionsTopic:
		e, err = attributionEngagement(m.Value, m.Timestamp)
	case w.kc.VerifyTopic:
		e, ok, err = verifyEngagement(m.Value, m.Timestamp)
	}
	if err == nil && ok {
		b.engagements = append(b.engagements, e)
	}
	return err
}

// lookUpFacts reads what the facts table knows of b's messages and
// derives the facts b's rows add, unless that is done and still holds;
// on the way it copies the sender and price into b's event rows. It
// reports whether it could.
func (w *Writer) lookUpFacts(ctx context.Context, b *batch) bool {
	if b.fresh || len(b.factRows) == 0 {
		return true
	}
	k, err := w.store.knownFacts(ctx, b.factRows)
	if err != nil {
		w.failed.Add(1)
		if ctx.Err() == nil {
			w.log.Warn("look up facts", "rows", len(b.factRows), "err", err)
		}
		return false
	}
	b.facts = deriveFacts(b.factRows, k)
	enrich(b.rows, k)
	b.fresh = true
	return true
}

// recordFacts inserts b's facts once its rows are in the events table.
// A failed insert may have landed: the facts are looked up again before
// the next try, so they are recorded once.
func (w *Writer) recordFacts(ctx context.Context, b *batch) bool {
	if len(b.factRows) == 0 {
		return true
	}
	if !w.lookUpFacts(ctx, b) {
		return false
	}
	if err := w.store.insertFacts(ctx, b.facts); err != nil {
		b.fresh = false
		w.failed.Add(1)
		if ctx.Err() == nil {
			w.log.Warn("insert facts", "facts", len(b.facts), "err", err)
		}
		return false
	}
	w.facts.Add(int64(len(b.facts)))
	clear(b.factRows)
	b.factRows, b.facts, b.fresh = b.factRows[:0], nil, false
	return true
}

// recordEngagements attributes b's opt-outs to campaigns and inserts b's
// engagements.
func (w *Writer) recordEngagements(ctx context.Context, b *batch) bool {
	if len(b.engagements) == 0 {
		return true
	}
	err := w.store.attribute(ctx, b.engagements)
	if err == nil {
		err = w.store.insertEngagements(ctx, b.engagements)
	}
	if err != nil {
		w.failed.Add(1)
		if ctx.Err() == nil {
			w.log.Warn("insert engagements", "engagements", len(b.engagements), "err", err)
		}
		return false
	}
	w.engaged.Add(int64(len(b.engagements)))
	clear(b.engagements)
	b.engagements = b.engagements[:0]
	return true
}
