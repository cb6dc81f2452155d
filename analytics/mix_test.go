package analytics_test

import (
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// The known mix the report tests send: 95 % delivered, 3 % undelivered
// with the unknown-subscriber code, 2 % expired; two carriers with
// different costs; three countries.
const (
	pricePerSegment = 10_000 // micros of USD the tenant pays
	engagementTopic = "tern.engagements"
	repliesTopic    = "tern.replies"
)

// testCosts is the route table's costs: what each carrier charges a
// segment.
type testCosts map[string]int64

func (c testCosts) Cost(carrier, _ string) (int64, string, bool) {
	v, ok := c[carrier]
	return v, "USD", ok
}

var mixCosts = testCosts{"carrier-a": 5_000, "carrier-b": 7_000}

// mixMsg is one message of the mix as the simulator would have seen it.
type mixMsg struct {
	id, to, region, country, carrier, sender string
	segments                                 int
	accepted, submitted, final               time.Time
	status                                   core.Status
	code                                     string
}

// newMix makes n messages of campaign, accepted 200 ms apart from start.
func newMix(n int, campaign string, start time.Time) []mixMsg {
	out := make([]mixMsg, n)
	for i := range out {
		m := mixMsg{id: fmt.Sprintf("%s-m%05d", campaign, i), segments: 1 + i%2, sender: "SHOP"}
		if i%2 == 1 {
			m.sender = "+14155550100"
		}
		switch i % 3 {
		case 0:
			m.to, m.region, m.country, m.carrier = fmt.Sprintf("+1415555%04d", i%10000), "US", "US", "carrier-a"
		case 1:
			m.to, m.region, m.country, m.carrier = fmt.Sprintf("+4915112%06d", i), "DE", "DE", "carrier-b"
		case 2: // no region on the records: the writer finds it from the number
			m.to, m.country, m.carrier = fmt.Sprintf("+3361234%04d", i%10000), "FR", []string{"carrier-a", "carrier-b"}[i%2]
		}
		m.accepted = start.Add(time.Duration(i) * 200 * time.Millisecond)
		m.submitted, m.final = m.accepted.Add(time.Second), m.accepted.Add(3*time.Second)
		switch p := i % 100; {
		case p < 95:
			m.status = core.StatusDelivered
		case p < 98:
			m.status, m.code = core.StatusUndelivered, "001"
		default:
			m.status = core.StatusExpired
		}
		out[i] = m
	}
	return out
}

func (m mixMsg) submitRecord(p *producer, campaign string, attempts int32) kafka.Message {
	return kafka.Message{Topic: submitTopic, Key: []byte(m.to), Value: p.value(&recordv1.Submit{
		Id: m.id, TenantId: "t1", To: m.to, From: m.sender, CampaignId: campaign, Segments: int32(m.segments),
		Category: ternv1.Category_CATEGORY_MARKETING, Encoding: ternv1.Encoding_ENCODING_GSM7, Region: m.region,
		AcceptedAt: timestamppb.New(m.accepted), PriceMicros: int64(m.segments) * pricePerSegment, Currency: "USD",
		Origin: "campaign/" + campaign, Attempts: attempts,
	})}
}

func (m mixMsg) eventRecord(p *producer, campaign string, st core.Status, at time.Time, code string) kafka.Message {
	return kafka.Message{Topic: eventsTopic, Key: []byte(m.id), Value: p.value(&recordv1.Event{
		MessageId: m.id, TenantId: "t1", CampaignId: campaign, Status: ternv1.Status(st), Time: timestamppb.New(at),
		To: m.to, Region: m.region, Segments: int32(m.segments), Carrier: m.carrier, ErrorCode: code,
		Category: ternv1.Category_CATEGORY_MARKETING, Encoding: ternv1.Encoding_ENCODING_GSM7, Origin: "campaign/" + campaign,
	})}
}

// records are the mix's Kafka records as the pipeline writes them, with
// the copies at-least-once delivery brings: every 7th Submit again (a
// retry), every 10th message's events twice, and message 5 first
// reported UNKNOWN, then DELIVERED.
func mixRecords(p *producer, campaign string, msgs []mixMsg) (submits, events []kafka.Message) {
	for i, m := range msgs {
		submits = append(submits, m.submitRecord(p, campaign, 0))
		if i%7 == 0 {
			submits = append(submits, m.submitRecord(p, campaign, 1))
		}
		evs := []kafka.Message{m.eventRecord(p, campaign, core.StatusSubmitted, m.submitted, "")}
		if i == 5 {
			evs = append(evs, m.eventRecord(p, campaign, core.StatusUnknown, m.final, ""))
			evs = append(evs, m.eventRecord(p, campaign, m.status, m.final.Add(7*time.Second), m.code))
		} else {
			evs = append(evs, m.eventRecord(p, campaign, m.status, m.final, m.code))
		}
		if i%10 == 0 {
			evs = append(evs, evs...)
		}
		events = append(events, evs...)
	}
	return submits, events
}

// finalAt is when m reached its latest final status in mixRecords.
func finalAt(i int, m mixMsg) time.Time {
	if i == 5 {
		return m.final.Add(7 * time.Second)
	}
	return m.final
}

// countMix is the totals of msgs counted independently of the store.
func countMix(msgs []mixMsg, keep func(mixMsg) bool) analytics.Totals {
	var t analytics.Totals
	var price, cost int64
	for _, m := range msgs {
		if !keep(m) {
			continue
		}
		t.Funnel.Accepted++
		t.Funnel.Submitted++
		t.Segments += int64(m.segments)
		price += int64(m.segments) * pricePerSegment
		cost += int64(m.segments) * mixCosts[m.carrier]
		switch m.status {
		case core.StatusDelivered:
			t.Funnel.Delivered++
		case core.StatusUndelivered:
			t.Funnel.Undelivered++
		case core.StatusExpired:
			t.Funnel.Expired++
		}
	}
	if price > 0 {
		t.Price = []analytics.Money{{Currency: "USD", Micros: price}}
	}
	if cost > 0 {
		t.Cost = []analytics.Money{{Currency: "USD", Micros: cost}}
	}
	return t
}
