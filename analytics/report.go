package analytics

import (
	"cmp"
	"slices"
	"time"

	"github.com/ternsms/tern/core"
)

// Funnel counts messages by how far they got: every accepted message,
// those a carrier accepted, and the finished ones by their latest final
// status. InFlight is the accepted ones without a final status yet. Each
// message counts once in each, however often its records were read.
type Funnel struct {
	Accepted, Submitted                     int64
	Delivered, Undelivered, Failed, Expired int64
	Rejected, Unknown, Canceled             int64
	InFlight                                int64
}

// Finished is the messages with a final status.
func (f Funnel) Finished() int64 {
	return f.Delivered + f.Undelivered + f.Failed + f.Expired + f.Rejected + f.Unknown + f.Canceled
}

// DeliveryRate is delivered over the finished messages that were meant to
// reach a handset (canceled ones were never sent); 0 without any.
func (f Funnel) DeliveryRate() float64 {
	n := f.Finished() - f.Canceled
	if n <= 0 {
		return 0
	}
	return float64(f.Delivered) / float64(n)
}

// final returns the field counting final status st, nil for others.
func (f *Funnel) final(st core.Status) *int64 {
	switch st {
	case core.StatusDelivered:
		return &f.Delivered
	case core.StatusUndelivered:
		return &f.Undelivered
	case core.StatusFailed:
		return &f.Failed
	case core.StatusExpired:
		return &f.Expired
	case core.StatusRejected:
		return &f.Rejected
	case core.StatusUnknown:
		return &f.Unknown
	case core.StatusCanceled:
		return &f.Canceled
	}
	return nil
}

// Money is an amount in millionths of Currency (ISO 4217).
type Money struct {
	Currency string
	Micros   int64
}

// Totals is a funnel with the parts and money of its messages: segments
// and price of the accepted ones, cost of the submitted ones.
type Totals struct {
	Funnel   Funnel
	Segments int64
	Price    []Money
	Cost     []Money
}

// factSum is one row of a fact aggregate: a stage and status, the
// currencies, and sums.
type factSum struct {
	stage                  stage
	status                 core.Status
	currency, costCurrency string
	messages, segments     int64
	price, cost            int64
}

// add counts s in t.
func (t *Totals) add(s factSum) {
	switch s.stage {
	case stageAccepted:
		t.Funnel.Accepted += s.messages
		t.Segments += s.segments
		t.Price = addMoney(t.Price, s.currency, s.price)
	case stageSubmitted:
		t.Funnel.Submitted += s.messages
		t.Cost = addMoney(t.Cost, s.costCurrency, s.cost)
	case stageFinal:
		if p := t.Funnel.final(s.status); p != nil {
			*p += s.messages
		}
	}
}

// done works out InFlight once every sum is in.
func (t *Totals) done() {
	t.Funnel.InFlight = max(0, t.Funnel.Accepted-t.Funnel.Finished())
}

func addMoney(ms []Money, currency string, micros int64) []Money {
	if micros == 0 || currency == "" {
		return ms
	}
	for i := range ms {
		if ms[i].Currency == currency {
			ms[i].Micros += micros
			return ms
		}
	}
	ms = append(ms, Money{currency, micros})
	slices.SortFunc(ms, func(a, b Money) int { return cmp.Compare(a.Currency, b.Currency) })
	return ms
}

// scanFactSum reads the columns stage, status, currency, cost_currency,
// messages, segments, price_micros, cost_micros after the first skip
// destinations.
func scanFactSum(r scanner, lead ...any) (factSum, error) {
	var (
		s             factSum
		stg, st       uint8
		n, seg, p, co int64
	)
	err := r.Scan(append(lead, &stg, &st, &s.currency, &s.costCurrency, &n, &seg, &p, &co)...)
	s.stage, s.status, s.messages, s.segments, s.price, s.cost = stage(stg), core.Status(st), n, seg, p, co
	return s, err
}

// sumColumns are the columns scanFactSum reads, summed.
const sumColumns = `stage, status, currency, cost_currency,
	sum(messages), sum(segments), sum(price_micros), sum(cost_micros)`

// Latency is a distribution of durations: how many and its quantiles
// (t-digest estimates).
type Latency struct {
	Samples       int64
	P50, P95, P99 time.Duration
}
