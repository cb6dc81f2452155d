package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/core"
)

// The synthetic tenant, over 30 days: a third of its messages in one big
// campaign sent in six hours on day 15, a third in 29 campaigns of two
// hours each, one a day, and a third transactional, spread evenly.
// Numbers come from a pool of 500,000 in three countries; 2 % of them are
// dead (always undelivered, unknown subscriber); of the rest's messages
// 1 % are undelivered (absent subscriber) and 2 % expire.
const (
	tenant      = "bench"
	bigCampaign = "mega"
	campaigns   = 29
	numberPool  = 500_000
	deadEvery   = 50 // every 50th number is dead
	loadDays    = 30
)

var (
	countries = []struct{ code, format string }{{"US", "+1415%03d%04d"}, {"DE", "+49151%08d"}, {"FR", "+336%08d"}}
	carriers  = []struct {
		name string
		cost int64
	}{{"carrier-a", 5_000}, {"carrier-b", 7_000}}
	senders = []string{"SHOP", "+14155550100", "ACME"}
)

// message is one synthetic message.
type message struct {
	id, campaign, to, country, carrier, sender string
	segments                                   int
	accepted                                   time.Time
	status                                     core.Status
	code                                       string
}

// generator makes a tenant's messages day by day, each day's in accept
// order, so that ids (ULIDs) grow as the writer would see them.
type generator struct {
	rng     *rand.Rand
	total   int
	start   time.Time
	entropy *ulid.MonotonicEntropy
}

func newGenerator(total int, end time.Time) *generator {
	rng := rand.New(rand.NewPCG(1, 2))
	return &generator{rng: rng, total: total, start: end.Add(-loadDays * 24 * time.Hour).Truncate(24 * time.Hour),
		entropy: ulid.Monotonic(rand.NewChaCha8([32]byte{1}), 0)}
}

// day returns the messages of day d (0 to loadDays-1), oldest first.
func (g *generator) day(d int) []message {
	midnight := g.start.Add(time.Duration(d) * 24 * time.Hour)
	third := g.total / 3
	var out []message
	burst := func(campaign string, n int, from, span time.Duration) {
		for range n {
			out = append(out, g.message(campaign, midnight.Add(from+time.Duration(g.rng.Int64N(int64(span))))))
		}
	}
	burst("", third/loadDays, 0, 24*time.Hour)
	if d == 15 {
		burst(bigCampaign, third, 10*time.Hour, 6*time.Hour)
	}
	if d >= 1 && d <= campaigns {
		burst(fmt.Sprintf("c%02d", d), third/campaigns, 18*time.Hour, 2*time.Hour)
	}
	slices.SortFunc(out, func(a, b message) int { return a.accepted.Compare(b.accepted) })
	for i := range out {
		out[i].id = ulid.MustNew(ulid.Timestamp(out[i].accepted), g.entropy).String() + "BENCHTAG"
	}
	return out
}

func (g *generator) message(campaign string, acc time.Time) message {
	n := g.rng.IntN(numberPool)
	c := countries[n%len(countries)]
	to := fmt.Sprintf(c.format, n)
	if c.code == "US" {
		to = fmt.Sprintf(c.format, 200+n%800, (n/800)%10000)
	}
	m := message{accepted: acc, campaign: campaign, country: c.code, segments: 1 + g.rng.IntN(3)/2, to: to,
		sender: senders[g.rng.IntN(len(senders))], carrier: carriers[(n/len(countries))%len(carriers)].name,
		status: core.StatusDelivered}
	switch p := g.rng.IntN(100); {
	case n%deadEvery == 0:
		m.status, m.code = core.StatusUndelivered, "001"
	case p == 0:
		m.status, m.code = core.StatusUndelivered, "027"
	case p < 3:
		m.status = core.StatusExpired
	}
	return m
}

// rows are a message's three events as the writer records them.
func (m message) rows() []analytics.Row {
	base := analytics.Row{TenantID: tenant, MessageID: m.id, CampaignID: m.campaign, Recipient: m.to, Region: m.country,
		Segments: m.segments, Category: core.CategoryMarketing}
	if m.campaign == "" {
		base.Category = core.CategoryTransactional
	}
	acc, sub, fin := base, base, base
	acc.Status, acc.Time, acc.Submit, acc.Sender = core.StatusQueued, m.accepted, true, m.sender
	acc.PriceMicros, acc.Currency = int64(m.segments)*10_000, "USD"
	sub.Status, sub.Time, sub.Carrier = core.StatusSubmitted, m.accepted.Add(800*time.Millisecond), m.carrier
	for _, c := range carriers {
		if c.name == m.carrier {
			sub.CostMicros, sub.CostCurrency = int64(m.segments)*c.cost, "USD"
		}
	}
	fin.Status, fin.Time, fin.Carrier, fin.ErrorCode = m.status, m.accepted.Add(4*time.Second), m.carrier, m.code
	return []analytics.Row{acc, sub, fin}
}

// load records events (a third of them messages) through Store.Record,
// the writer's path, batch messages at a time, and reports progress.
func load(ctx context.Context, s *analytics.Store, events, batch int, logf func(string, ...any)) (int, time.Duration, error) {
	g := newGenerator(events/3, time.Now().Add(-time.Hour))
	start := time.Now()
	rows := make([]analytics.Row, 0, 3*batch)
	loaded := 0
	for d := range loadDays {
		msgs := g.day(d)
		for len(msgs) > 0 {
			n := min(len(msgs), batch)
			rows = rows[:0]
			for _, m := range msgs[:n] {
				rows = append(rows, m.rows()...)
			}
			if err := s.Record(ctx, rows); err != nil {
				return loaded, 0, fmt.Errorf("record day %d: %w", d, err)
			}
			loaded, msgs = loaded+len(rows), msgs[n:]
		}
		el := time.Since(start)
		logf("day %d: loaded %d events in %s (%.0f events/s)", d+1, loaded, el.Round(time.Second), float64(loaded)/el.Seconds())
	}
	return loaded, time.Since(start), nil
}
