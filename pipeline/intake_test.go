package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline/kafkatest"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

func testIssuer(t *testing.T) *msgid.Issuer {
	t.Helper()
	is, err := msgid.NewIssuer([]byte("test-key-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func TestIntakeProducesAfterAck(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 4}.WithDefaults()
	if err := EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	ids := testIssuer(t)
	in, err := NewIntake(cfg, ids, testStore(t))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()

	reqs := []Request{
		{TenantID: "shop", To: "+14155552671", Body: "Order #1 confirmed", CampaignID: "c1"},
		{TenantID: "shop", To: "not a number", Body: "x"},
		{TenantID: "shop", To: "+442079460958", Body: "Ваш заказ отправлен", Category: core.CategoryMarketing},
		{TenantID: "shop", To: "+14155552672", Body: "Your code is 123456", Category: core.CategoryOTP},
	}
	out := make([]Result, len(reqs))
	if err := in.Send(ctx, reqs, out); err != nil {
		t.Fatal(err)
	}
	var fe *FieldError
	if !errors.As(out[1].Err, &fe) || fe.Field != "to" {
		t.Fatalf("item 1: %v, want a field error on to", out[1].Err)
	}
	for _, i := range []int{0, 2, 3} {
		if out[i].Err != nil || out[i].Status != core.StatusQueued {
			t.Fatalf("item %d: %+v", i, out[i])
		}
		if _, err := ids.Check("shop", out[i].ID); err != nil {
			t.Fatalf("item %d: id %s not issued to the tenant: %v", i, out[i].ID, err)
		}
	}

	// The records are on their lane's submit topic, keyed by recipient.
	got := map[string]*recordv1.Submit{}
	lane := map[string]string{}
	for i := range 12 {
		topic, p := cfg.submitTopics()[i/4], i%4
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: cfg.Brokers, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
		for {
			rctx, rcancel := context.WithTimeout(ctx, 500*time.Millisecond)
			m, err := r.ReadMessage(rctx)
			rcancel()
			if err != nil {
				break
			}
			rec := &recordv1.Submit{}
			if err := proto.Unmarshal(m.Value, rec); err != nil {
				t.Fatal(err)
			}
			if string(m.Key) != rec.To {
				t.Fatalf("key %q, want recipient %q", m.Key, rec.To)
			}
			got[rec.Id], lane[rec.Id] = rec, topic
		}
		r.Close()
	}
	if len(got) != 3 {
		t.Fatalf("%d records on the submit topics, want 3", len(got))
	}
	for i, want := range map[int]string{0: cfg.Topics.Submit, 2: cfg.Topics.Marketing, 3: cfg.Topics.OTP} {
		if lane[out[i].ID] != want {
			t.Fatalf("item %d (%v) on topic %q, want %q", i, reqs[i].Category, lane[out[i].ID], want)
		}
	}
	a, b := got[out[0].ID], got[out[2].ID]
	if a == nil || b == nil {
		t.Fatalf("records missing: %v", got)
	}
	if a.TenantId != "shop" || a.CampaignId != "c1" || a.Region != "US" || a.Segments != 1 || a.Encoding != 1 {
		t.Fatalf("record 0 = %v", a)
	}
	if b.Region != "GB" || b.Encoding != 2 || b.Category != 2 {
		t.Fatalf("record 2 = %v", b)
	}
}

func TestIntakeBrokerDown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Nothing listens on this address.
	cfg := KafkaConfig{Brokers: []string{"127.0.0.1:1"}}.WithDefaults()
	in, err := NewIntake(cfg, testIssuer(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out := make([]Result, 1)
	if err := in.Send(ctx, []Request{{TenantID: "t", To: "+14155552671", Body: "hi"}}, out); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(out[0].Err, ErrQueueUnavailable) || out[0].ID != "" {
		t.Fatalf("result = %+v, want ErrQueueUnavailable and no id", out[0])
	}
}
