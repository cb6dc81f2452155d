package contacts

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/kafkatest"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// TestFeed: DELIVERED events move their number's last_delivered_at
// forward, clicks their contact's last_clicked_at, per tenant; other
// statuses, older times and records read again change nothing.
func TestFeed(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	kc := pipeline.KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 2}.WithDefaults()
	if err := pipeline.EnsureTopics(ctx, kc); err != nil {
		t.Fatal(err)
	}
	ana, _, err := e.store.Upsert(ctx, Contact{Tenant: "shop", Phone: "+14155550201", FirstName: "Ana"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	eva, _, err := e.store.Upsert(ctx, Contact{Tenant: "shop", Phone: "+14155550202", FirstName: "Eva"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := e.store.NewFeed(FeedConfig{Brokers: kc.Brokers, Events: kc.Topics.Events, Clicks: kc.Topics.Clicks})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(runCtx) }()
	defer func() { stop(); <-done }()

	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	delivered, clicked := time.Now().Add(-time.Hour).Truncate(time.Microsecond), time.Now().Add(-time.Minute).Truncate(time.Microsecond)
	ev := func(tenant, to string, st ternv1.Status, at time.Time) *recordv1.Event {
		return &recordv1.Event{MessageId: "m", TenantId: tenant, To: to, Status: st, Time: timestamppb.New(at)}
	}
	produce := func(topic string, m proto.Message) {
		v, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produce(kc.Topics.Events, ev("shop", ana.Phone, ternv1.Status_STATUS_DELIVERED, delivered))
	produce(kc.Topics.Events, ev("shop", ana.Phone, ternv1.Status_STATUS_DELIVERED, delivered.Add(-time.Hour))) // older
	produce(kc.Topics.Events, ev("shop", eva.Phone, ternv1.Status_STATUS_UNDELIVERED, delivered))
	produce(kc.Topics.Events, ev("other", eva.Phone, ternv1.Status_STATUS_DELIVERED, delivered)) // another tenant's
	produce(kc.Topics.Clicks, &recordv1.Click{TenantId: "shop", ContactId: eva.ID, ClickedAt: timestamppb.New(clicked)})
	produce(kc.Topics.Clicks, &recordv1.Click{TenantId: "other", ContactId: ana.ID, ClickedAt: timestamppb.New(clicked)})
	testkit.Eventually(t, 30*time.Second, func() error {
		a, err := e.store.Get(ctx, "shop", ana.ID)
		if err != nil {
			return err
		}
		b, err := e.store.Get(ctx, "shop", eva.ID)
		if err != nil {
			return err
		}
		if !a.LastDelivered.Equal(delivered) || !b.LastClicked.Equal(clicked) {
			return fmt.Errorf("ana delivered %v, eva clicked %v; want %v and %v", a.LastDelivered, b.LastClicked, delivered, clicked)
		}
		if !a.LastClicked.IsZero() || !b.LastDelivered.IsZero() {
			return fmt.Errorf("ana clicked %v, eva delivered %v; want neither", a.LastClicked, b.LastDelivered)
		}
		return nil
	})
}
