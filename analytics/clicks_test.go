package analytics_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// TestClicksWriter: the clicks topic's records reach the clicks table,
// and a campaign's clicks are counted per tenant and campaign, each
// click record once however often it is read; a campaign without clicks
// counts 0, also before the table exists.
func TestClicksWriter(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kc := pipeline.KafkaConfig{Brokers: []string{broker(t)}, Partitions: 2}.WithDefaults()
	if err := pipeline.EnsureTopics(ctx, kc); err != nil {
		t.Fatal(err)
	}
	s, err := analytics.Open(ctx, chtest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.CampaignClicks(ctx, "t1", "cmp_a"); err != nil || n != 0 {
		t.Fatalf("clicks before the table: %d, %v", n, err)
	}
	w := analytics.NewClicksWriter(s, analytics.ClicksConfig{Brokers: kc.Brokers, Topic: kc.Topics.Clicks})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	defer func() { stop(); <-done }()

	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.Brokers...), kgo.DefaultProduceTopic(kc.Topics.Clicks))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	at := time.Now()
	click := func(tenant, campaign, code string, at time.Time) *recordv1.Click {
		return &recordv1.Click{TenantId: tenant, CampaignId: campaign, ContactId: 7, MessageId: "m1", Code: code, Url: "https://shop.example/",
			ClickedAt: timestamppb.New(at), UserAgent: "test"}
	}
	clicks := []*recordv1.Click{
		click("t1", "cmp_a", "Aaaaaaaaa1", at),
		click("t1", "cmp_a", "Aaaaaaaaa1", at), // the same record again
		click("t1", "cmp_a", "Aaaaaaaaa1", at.Add(time.Millisecond)),
		click("t1", "cmp_a", "Aaaaaaaaa2", at),
		click("t1", "cmp_b", "Aaaaaaaaa3", at),
		click("t2", "cmp_a", "Aaaaaaaaa4", at),
	}
	for _, c := range clicks {
		v, err := proto.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte(c.Code), Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []struct {
		tenant, campaign string
		want             int64
	}{{"t1", "cmp_a", 3}, {"t1", "cmp_b", 1}, {"t2", "cmp_a", 1}, {"t2", "cmp_b", 0}} {
		testkit.Eventually(t, 30*time.Second, func() error {
			n, err := s.CampaignClicks(ctx, k.tenant, k.campaign)
			if err != nil {
				return err
			}
			if n != k.want {
				return fmt.Errorf("%s/%s: %d clicks, want %d", k.tenant, k.campaign, n, k.want)
			}
			return nil
		})
	}
}
