package analytics_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/testkit"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// stageOf is one stage a mix message reached, as the reports count it.
type stageOf struct {
	m       mixMsg
	stage   int // 1 accepted, 2 submitted, 3 final
	at      time.Time
	carrier string // "" at acceptance
}

// stages lists every stage of every message of msgs.
func stages(msgs []mixMsg) []stageOf {
	var out []stageOf
	for i, m := range msgs {
		out = append(out, stageOf{m, 1, m.accepted, ""}, stageOf{m, 2, m.submitted, m.carrier}, stageOf{m, 3, finalAt(i, m), m.carrier})
	}
	return out
}

// expect counts msgs' stages into totals by key, independently of the
// store: the count every report number must equal.
func expect(msgs []mixMsg, key func(stageOf) string) map[string]analytics.Totals {
	acc := map[string]*analytics.Totals{}
	for _, s := range stages(msgs) {
		k := key(s)
		t := acc[k]
		if t == nil {
			t = &analytics.Totals{}
			acc[k] = t
		}
		switch s.stage {
		case 1:
			t.Funnel.Accepted++
			t.Segments += int64(s.m.segments)
			t.Price = addUSD(t.Price, int64(s.m.segments)*pricePerSegment)
		case 2:
			t.Funnel.Submitted++
			t.Cost = addUSD(t.Cost, int64(s.m.segments)*mixCosts[s.m.carrier])
		case 3:
			switch s.m.status {
			case core.StatusDelivered:
				t.Funnel.Delivered++
			case core.StatusUndelivered:
				t.Funnel.Undelivered++
			case core.StatusExpired:
				t.Funnel.Expired++
			}
		}
	}
	out := map[string]analytics.Totals{}
	for k, t := range acc {
		t.Funnel.InFlight = max(0, t.Funnel.Accepted-t.Funnel.Finished())
		out[k] = *t
	}
	return out
}

func addUSD(ms []analytics.Money, micros int64) []analytics.Money {
	if len(ms) == 0 {
		return []analytics.Money{{Currency: "USD", Micros: micros}}
	}
	ms[0].Micros += micros
	return ms
}

// mixEnv is a broker with every topic the writer reads, a store, and a
// writer with the mix's costs reading them.
type mixEnv struct {
	addr  string
	store *analytics.Store
	p     *producer
	kc    analytics.KafkaConfig
}

func newMixEnv(t *testing.T, store *analytics.Store) mixEnv {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0),
		kfake.SeedTopics(8, submitTopic, eventsTopic, engagementTopic, repliesTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	return mixEnv{addr: addr, store: store, p: newProducer(t, addr), kc: analytics.KafkaConfig{
		Brokers: []string{addr}, SubmitTopic: submitTopic, EventsTopic: eventsTopic,
		EngagementsTopic: engagementTopic, RepliesTopic: repliesTopic,
	}}
}

func (e mixEnv) writer(t *testing.T) *analytics.Writer {
	return analytics.NewWriter(e.store, e.kc, analytics.WithLogger(chtest.Logger(t)), analytics.WithCosts(mixCosts))
}

// TestReportsEqualIndependentCounts: with a known mix written through
// Kafka, copies and a corrected final status included, every number of
// the campaign report and the delivery report equals a count made from
// what was sent.
func TestReportsEqualIndependentCounts(t *testing.T) {
	t.Parallel()
	e := newMixEnv(t, chtest.Store(t))
	msgs := newMix(600, "c1", t0)
	submits, events := mixRecords(e.p, "c1", msgs)
	e.p.send(events...) // events before their submits: the topics are read independently
	e.p.send(submits...)
	e.p.send(engagementRecords(e.p, msgs)...)
	runWriter(t, e.writer(t))

	want := analytics.CampaignReport{CampaignID: "c1", Totals: expect(msgs, func(stageOf) string { return "" })[""]}
	for _, tp := range sortedKeys(expect(msgs, func(s stageOf) string { return s.at.Truncate(time.Minute).Format(time.RFC3339) })) {
		minute, _ := time.Parse(time.RFC3339, tp.key)
		want.Timeline = append(want.Timeline, analytics.TimelinePoint{Minute: minute, Totals: tp.totals})
	}
	want.ByCountry = breakdowns(expect(msgs, func(s stageOf) string { return s.m.country }))
	want.ByCarrier = breakdowns(expect(msgs, func(s stageOf) string { return s.carrier }))
	want.ErrorCodes = wantErrorCodes(msgs)
	second := analytics.Latency{Samples: 600, P50: time.Second, P95: time.Second, P99: time.Second}
	want.AcceptToSubmit, want.SubmitToFinal = second, analytics.Latency{Samples: 600, P50: 2 * time.Second, P95: 2 * time.Second, P99: 2 * time.Second}
	want.Engaged = analytics.Engaged{Clicks: 30, ClickedMessages: 20, OptOuts: 1, Orders: 2, Revenue: []analytics.Money{{Currency: "USD", Micros: 70_000_000}}}
	sortBreakdowns(want.ByCountry)
	sortBreakdowns(want.ByCarrier)

	ctx := context.Background()
	testkit.Eventually(t, time.Minute, func() error {
		got, err := e.store.CampaignReport(ctx, "t1", "c1")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("campaign report differs:\n got %+v\nwant %+v", got, want)
		}
		return nil
	})
	stats, err := e.store.CampaignStats(ctx, "t1", "c1")
	if err != nil || stats.Accepted != 600 || stats.Delivered != want.Funnel.Delivered || stats.Undelivered != 18 || stats.Expired != 12 {
		t.Fatalf("CampaignStats = %+v, %v", stats, err)
	}

	got, err := e.store.DeliveryReport(ctx, "t1", t0, t0.Add(time.Hour), []analytics.Dimension{analytics.DimCountry, analytics.DimCarrier, analytics.DimSender})
	if err != nil {
		t.Fatal(err)
	}
	var wantRows []analytics.DeliveryRow
	for k, tot := range expect(msgs, func(s stageOf) string { return s.m.country + "|" + s.carrier + "|" + s.m.sender }) {
		var r analytics.DeliveryRow
		parts := splitKey(k)
		r.Country, r.Carrier, r.Sender, r.Totals = parts[0], parts[1], parts[2], tot
		wantRows = append(wantRows, r)
	}
	if !sameRows(got.Rows, wantRows) {
		t.Fatalf("delivery report by country, carrier, sender:\n got %+v\nwant %+v", got.Rows, wantRows)
	}
	if !got.From.Equal(t0.Truncate(24*time.Hour)) || !got.To.Equal(t0.Truncate(24*time.Hour).Add(24*time.Hour)) {
		t.Fatalf("range %s to %s", got.From, got.To)
	}
	totals, err := e.store.DeliveryReport(ctx, "t1", t0, t0.Add(time.Hour), nil)
	if err != nil || len(totals.Rows) != 1 || !reflect.DeepEqual(totals.Rows[0].Totals, want.Totals) {
		t.Fatalf("delivery report totals = %+v, %v; want %+v", totals.Rows, err, want.Totals)
	}
	if r := totals.Rows[0].Funnel.DeliveryRate(); r != 570.0/600 {
		t.Fatalf("delivery rate %v", r)
	}
}

// engagementRecords are clicks on 20 of msgs (10 of them clicked twice,
// every record sent twice), two orders, and a STOP from one recipient.
func engagementRecords(p *producer, msgs []mixMsg) []kafka.Message {
	var out []kafka.Message
	eng := func(e *recordv1.Engagement) kafka.Message {
		e.TenantId = "t1"
		return kafka.Message{Topic: engagementTopic, Key: []byte("t1"), Value: p.value(e)}
	}
	for i := range 20 {
		m := msgs[i]
		for c := range 1 + i%2 {
			rec := eng(&recordv1.Engagement{Id: fmt.Sprintf("click-%d-%d", i, c), Kind: recordv1.EngagementKind_ENGAGEMENT_KIND_CLICK,
				MessageId: m.id, CampaignId: "c1", To: m.to, Time: timestamppb.New(m.final.Add(time.Minute))})
			out = append(out, rec, rec)
		}
	}
	for i, amount := range []int64{25_000_000, 45_000_000} {
		out = append(out, eng(&recordv1.Engagement{Id: fmt.Sprintf("order-%d", i), Kind: recordv1.EngagementKind_ENGAGEMENT_KIND_ORDER,
			CampaignId: "c1", AmountMicros: amount, Currency: "USD", Time: timestamppb.New(t0.Add(time.Hour))}))
	}
	stop := &recordv1.Reply{TenantId: "t1", From: msgs[3].to, Text: "STOP", Intent: "opt_out", Action: "opted_out",
		ReceivedAt: timestamppb.New(msgs[3].final.Add(time.Hour)), Source: "tern.mo/0/42"}
	help := &recordv1.Reply{TenantId: "t1", From: msgs[4].to, Text: "HELP", Intent: "help", Action: "help_sent",
		ReceivedAt: timestamppb.New(msgs[4].final.Add(time.Hour)), Source: "tern.mo/0/43"}
	for _, r := range []*recordv1.Reply{stop, stop, help} {
		out = append(out, kafka.Message{Topic: repliesTopic, Key: []byte("t1"), Value: p.value(r)})
	}
	return out
}

type keyed struct {
	key    string
	totals analytics.Totals
}

func sortedKeys(m map[string]analytics.Totals) []keyed {
	var out []keyed
	for k, t := range m {
		out = append(out, keyed{k, t})
	}
	slices.SortFunc(out, func(a, b keyed) int { return compareStrings(a.key, b.key) })
	return out
}

func breakdowns(m map[string]analytics.Totals) []analytics.Breakdown {
	var out []analytics.Breakdown
	for k, t := range m {
		out = append(out, analytics.Breakdown{Key: k, Totals: t})
	}
	return out
}

// sortBreakdowns orders as the report does: most accepted and submitted
// first, then by key.
func sortBreakdowns(bs []analytics.Breakdown) {
	slices.SortFunc(bs, func(a, b analytics.Breakdown) int {
		if d := (b.Funnel.Accepted + b.Funnel.Submitted) - (a.Funnel.Accepted + a.Funnel.Submitted); d != 0 {
			return int(d)
		}
		return compareStrings(a.Key, b.Key)
	})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func splitKey(k string) []string {
	var out []string
	start := 0
	for i := range len(k) {
		if k[i] == '|' {
			out = append(out, k[start:i])
			start = i + 1
		}
	}
	return append(out, k[start:])
}

// sameRows compares delivery rows in any order.
func sameRows(got, want []analytics.DeliveryRow) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g analytics.DeliveryRow) bool { return reflect.DeepEqual(g, w) }) {
			return false
		}
	}
	return true
}

// wantErrorCodes counts the undelivered messages of msgs by carrier and
// code, most first, as the report orders them.
func wantErrorCodes(msgs []mixMsg) []analytics.ErrorCodeCount {
	n := map[string]int64{}
	for _, m := range msgs {
		if m.code != "" {
			n[m.carrier]++
		}
	}
	var out []analytics.ErrorCodeCount
	for carrier, c := range n {
		out = append(out, analytics.ErrorCodeCount{Carrier: carrier, ErrorCode: "001", Status: core.StatusUndelivered, Messages: c})
	}
	slices.SortFunc(out, func(a, b analytics.ErrorCodeCount) int {
		if a.Messages != b.Messages {
			return int(b.Messages - a.Messages)
		}
		return compareStrings(a.Carrier, b.Carrier)
	})
	return out
}

// TestRecordTwiceCountsOnce: rows written again (a batch read twice
// after a crash, in batches cut differently) add no fact twice; the
// report and the facts table are as after one write.
func TestRecordTwiceCountsOnce(t *testing.T) {
	t.Parallel()
	s := chtest.Store(t)
	msgs := newMix(200, "c1", t0)
	rows := mixRows(msgs)
	ctx := context.Background()
	if err := s.Record(ctx, rows); err != nil {
		t.Fatal(err)
	}
	first, err := s.CampaignReport(ctx, "t1", "c1")
	if err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(rows); start += 77 {
		if err := s.Record(ctx, slices.Clone(rows[start:min(start+77, len(rows))])); err != nil {
			t.Fatal(err)
		}
	}
	again, err := s.CampaignReport(ctx, "t1", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, first) {
		t.Fatalf("after writing the rows again:\n got %+v\nwant %+v", again.Totals, first.Totals)
	}
	if n := countRows(t, s, "SELECT count() FROM facts"); n != uint64(len(rows)) {
		t.Fatalf("%d facts for %d rows", n, len(rows))
	}
}
