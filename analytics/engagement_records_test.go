package analytics_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core/testkit"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

const (
	clicksTopic       = "tern.clicks"
	attributionsTopic = "tern.attributions"
	verifyTopic       = "tern.verify"
)

// TestFeatureRecordsBecomeEngagements: the records the campaign, revenue
// attribution and verify features produce on their own topics, each sent
// twice, count once in the campaign report and the engagements table.
func TestFeatureRecordsBecomeEngagements(t *testing.T) {
	t.Parallel()
	s := chtest.Store(t)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0),
		kfake.SeedTopics(4, submitTopic, eventsTopic, clicksTopic, attributionsTopic, verifyTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	p := newProducer(t, addr)
	var recs []kafka.Message
	twice := func(topic string, v []byte) {
		recs = append(recs, kafka.Message{Topic: topic, Key: []byte("t1"), Value: v}, kafka.Message{Topic: topic, Key: []byte("t1"), Value: v})
	}
	for i := range 5 { // 5 clicks on 3 messages
		twice(clicksTopic, p.value(&recordv1.Click{TenantId: "t1", CampaignId: "c1", MessageId: fmt.Sprintf("m%d", i%3),
			Code: fmt.Sprintf("code%d", i%3), Url: "https://shop.example/", ClickedAt: timestamppb.New(t0.Add(time.Duration(i) * time.Minute))}))
	}
	for i, amount := range []int64{12_500_000, 30_000_000} {
		twice(attributionsTopic, p.value(&recordv1.Attribution{TenantId: "t1", OrderId: fmt.Sprintf("order-%d", i), OrderName: "#100" + fmt.Sprint(i),
			AmountMicros: amount, Currency: "EUR", Model: "click", CampaignId: "c1", MessageId: "m0", OrderedAt: timestamppb.New(t0.Add(time.Hour))}))
	}
	for _, ve := range []*recordv1.VerifyEvent{
		{TenantId: "t1", VerificationId: "VE1", Kind: "started", MessageId: "m9", At: timestamppb.New(t0)},
		{TenantId: "t1", VerificationId: "VE1", Kind: "checked", Outcome: "pending", At: timestamppb.New(t0.Add(time.Second))},
		{TenantId: "t1", VerificationId: "VE1", Kind: "checked", Outcome: "approved", At: timestamppb.New(t0.Add(2 * time.Second))},
	} {
		twice(verifyTopic, p.value(ve))
	}
	p.send(recs...)
	w := analytics.NewWriter(s, analytics.KafkaConfig{Brokers: []string{addr}, SubmitTopic: submitTopic, EventsTopic: eventsTopic,
		ClicksTopic: clicksTopic, AttributionsTopic: attributionsTopic, VerifyTopic: verifyTopic}, analytics.WithLogger(chtest.Logger(t)))
	runWriter(t, w)

	want := analytics.Engaged{Clicks: 5, ClickedMessages: 3, Orders: 2, Revenue: []analytics.Money{{Currency: "EUR", Micros: 42_500_000}}}
	testkit.Eventually(t, time.Minute, func() error {
		r, err := s.CampaignReport(t.Context(), "t1", "c1")
		if err != nil {
			return err
		}
		if fmt.Sprint(r.Engaged) != fmt.Sprint(want) {
			return fmt.Errorf("engaged %+v, want %+v", r.Engaged, want)
		}
		return nil
	})
	if n := countRows(t, s, "SELECT uniqExact(id) FROM engagements WHERE tenant_id = 't1' AND kind = 4"); n != 1 {
		t.Fatalf("%d verifications, want 1", n)
	}
	if st := w.Stats(); st.Skipped != 0 {
		t.Fatalf("stats %+v: want none skipped", st)
	}
}
