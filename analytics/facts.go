package analytics

import (
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
)

// stage is how far a message got: what a fact records.
type stage uint8

const (
	stageAccepted  stage = 1
	stageSubmitted stage = 2
	stageFinal     stage = 3
)

// fact is one row of the facts table: a stage one message reached, with
// what the reports group it by. Sign -1 cancels an earlier final fact.
type fact struct {
	TenantID, MessageID string
	Stage               stage
	Sign                int8
	Time                time.Time
	Status              core.Status
	CampaignID, FlowID  string
	Category            core.Category
	Country, Carrier    string
	Sender              string
	Encoding            gsm.Encoding
	Segments            int
	PriceMicros         int64
	Currency            string
	CostMicros          int64
	CostCurrency        string
	ErrorCode           string
	// LatencyMs is accept→submit for a submitted fact, submit→final for
	// a final one; Sample says whether it counts in the latency
	// quantiles (the first final fact of a message only).
	LatencyMs uint32
	Sample    bool
}

// later reports whether f is a later final status than g: by time to the
// nanosecond, then by status, as the events' latestKey orders them.
func (f *fact) later(g *fact) bool {
	if !f.Time.Equal(g.Time) {
		return f.Time.After(g.Time)
	}
	return f.Status > g.Status
}

// msgKey names one message of one tenant.
type msgKey struct{ tenant, message string }

// known is what the facts table holds for one message: its live fact of
// each stage, nil where it has none.
type known struct {
	accepted, submitted, final *fact
}

// deriveFacts returns the facts rows add to what is known, and updates
// known with them. Submit rows go first, so that a message whose Submit
// and events share a batch gets its accepted fact before the others copy
// from it. A stage already known adds nothing, so rows read twice add
// nothing twice; a final status later than the known one adds a -1 copy
// of the known and a +1 of the new.
func deriveFacts(rows []Row, k map[msgKey]*known) []fact {
	var out []fact
	for pass := range 2 {
		for i := range rows {
			r := &rows[i]
			if r.Submit != (pass == 0) {
				continue
			}
			m := k[msgKey{r.TenantID, r.MessageID}]
			if m == nil {
				m = &known{}
				k[msgKey{r.TenantID, r.MessageID}] = m
			}
			out = m.add(r, out)
		}
	}
	return out
}

// add appends to out the facts r adds to m.
func (m *known) add(r *Row, out []fact) []fact {
	switch {
	case r.Submit:
		if m.accepted != nil {
			return out
		}
		f := baseFact(r, stageAccepted)
		f.PriceMicros, f.Currency = r.PriceMicros, r.Currency
		m.accepted = &f
		return append(out, f)
	case r.Status == core.StatusSubmitted:
		if m.submitted != nil {
			return out
		}
		f := m.copied(baseFact(r, stageSubmitted))
		f.CostMicros, f.CostCurrency = r.CostMicros, r.CostCurrency
		switch {
		case m.accepted != nil:
			f.LatencyMs, f.Sample = since(m.accepted.Time, r.Time)
		case !r.AcceptedAt.IsZero():
			f.LatencyMs, f.Sample = since(r.AcceptedAt, r.Time)
		}
		m.submitted = &f
		return append(out, f)
	case r.Status.Final():
		f := m.copied(baseFact(r, stageFinal))
		if m.final != nil && !f.later(m.final) {
			return out
		}
		if m.final != nil {
			old := *m.final
			old.Sign, old.Sample = -1, false
			out = append(out, old)
		} else if m.submitted != nil {
			f.LatencyMs, f.Sample = since(m.submitted.Time, r.Time)
		}
		m.final = &f
		return append(out, f)
	}
	return out
}

// baseFact is r's fact of stage s, before anything is copied in.
func baseFact(r *Row, s stage) fact {
	return fact{
		TenantID: r.TenantID, MessageID: r.MessageID, Stage: s, Sign: 1, Time: r.Time, Status: r.Status,
		CampaignID: r.CampaignID, FlowID: r.FlowID, Category: r.Category, Country: r.Region,
		Carrier: r.Carrier, Sender: r.Sender, Encoding: r.Encoding, Segments: r.Segments, ErrorCode: r.ErrorCode,
	}
}

// copied fills in f what an event lacks and the message's earlier facts
// have: the sender and segments from its acceptance, the carrier from its
// submit, and the dimensions an older event may not carry.
func (m *known) copied(f fact) fact {
	for _, g := range []*fact{m.accepted, m.submitted} {
		if g == nil {
			continue
		}
		f.Sender = cmpOr(f.Sender, g.Sender)
		f.Carrier = cmpOr(f.Carrier, g.Carrier)
		f.CampaignID = cmpOr(f.CampaignID, g.CampaignID)
		f.FlowID = cmpOr(f.FlowID, g.FlowID)
		f.Country = cmpOr(f.Country, g.Country)
		if f.Category == 0 {
			f.Category = g.Category
		}
		if f.Segments == 0 {
			f.Segments = g.Segments
		}
		if f.Encoding == 0 {
			f.Encoding = g.Encoding
		}
	}
	return f
}

// since is the milliseconds from a to b, and whether it is a sample: a
// clock that ran backwards gives none.
func since(a, b time.Time) (uint32, bool) {
	d := b.Sub(a)
	if d < 0 {
		return 0, false
	}
	return uint32(min(d.Milliseconds(), 1<<32-1)), true
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// enrich copies into the event rows what the message's acceptance knows
// and events do not carry: the sender and the tenant's price.
func enrich(rows []Row, k map[msgKey]*known) {
	for i := range rows {
		r := &rows[i]
		if r.Submit {
			continue
		}
		m := k[msgKey{r.TenantID, r.MessageID}]
		if m == nil || m.accepted == nil {
			continue
		}
		r.Sender = cmpOr(r.Sender, m.accepted.Sender)
		if r.Currency == "" {
			r.PriceMicros, r.Currency = m.accepted.PriceMicros, m.accepted.Currency
		}
	}
}
