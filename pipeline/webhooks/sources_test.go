package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core/consent"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/stream"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// TestSources takes each source topic's records to a tenant's endpoint:
// a status change, a reply, an opt-out recorded in the consent ledger, a
// flow run's end and a campaign completion (a decoder of a topic the
// campaigns own). Records read twice post nothing new.
func TestSources(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	brokers := []string{kafkatest.Broker(t)}
	for _, name := range []string{"tern.events", "tern.replies", "tern.suppressions", "tern.flow-runs", "tern.campaigns"} {
		if err := stream.EnsureTopic(ctx, brokers, stream.Topic{Name: name, Partitions: 2}); err != nil {
			t.Fatal(err)
		}
	}
	url := pgtest.URL(t)
	ledger, err := consentlog.Open(ctx, url, consentlog.NewHasher([]byte("webhooks-test")), consentlog.TopicConfig{Brokers: brokers, Topic: "tern.suppressions"})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	c := &clock{}
	o := testOutbox(t, ctx, c, Config{})
	rc := newReceiver(t)
	_, rc.secret, err = o.CreateEndpoint(ctx, "shop-1", rc.srv.URL, []string{"*"}, "")
	if err != nil {
		t.Fatal(err)
	}
	runOutbox(t, ctx, o)
	campaigns := func(r *kgo.Record) (Event, bool, error) {
		var v struct{ Tenant, Campaign string }
		err := json.Unmarshal(r.Value, &v)
		return Event{ID: EventID(CampaignComplete, v.Tenant, v.Campaign), Tenant: v.Tenant, Type: CampaignComplete,
			Data: map[string]any{"campaign_id": v.Campaign}}, err == nil, err
	}
	src := o.Sources(SourceConfig{Brokers: brokers, Decoders: map[string]Decoder{"tern.campaigns": campaigns}}, ledger)
	sctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { src.Run(sctx); close(done) }()
	defer func() { stop(); <-done }()

	produceSources(t, ctx, brokers)
	if _, _, _, err := ledger.Record(ctx, consentlog.Event{Tenant: "shop-1", Number: "+14155552671", Kind: consent.OptOut, Scope: consent.ScopeAll,
		Method: consentlog.MethodKeyword}); err != nil {
		t.Fatal(err)
	}
	var got []received
	testkit.Eventually(t, 30*time.Second, func() error {
		got = rc.posts()
		var types []string
		for _, p := range got {
			types = append(types, p.Type)
		}
		slices.Sort(types)
		want := []string{CampaignComplete, ContactOptedOut, FlowRunExited, MessageInbound, MessageStatus}
		if !slices.Equal(types, want) {
			return fmt.Errorf("posted %v, want %v", types, want)
		}
		return nil
	})
	for _, p := range got {
		if !p.Verified {
			t.Fatalf("unverified post %+v", p)
		}
		switch p.Type {
		case MessageStatus:
			if p.Data["status"] != "delivered" || p.Data["message_id"] != "m1" || p.Data["category"] != "transactional" {
				t.Errorf("status %v", p.Data)
			}
		case ContactOptedOut:
			if p.Data["number"] != "+14155552671" || p.Data["scope"] != "all" {
				t.Errorf("opt-out %v", p.Data)
			}
		case FlowRunExited:
			if p.Data["reason"] != "an order was placed" || p.Data["run_id"] != "42" {
				t.Errorf("flow run %v", p.Data)
			}
		case MessageInbound:
			if p.Data["text"] != "thanks!" {
				t.Errorf("inbound %v", p.Data)
			}
		}
	}
}

// produceSources writes one record to each source topic but the
// suppressions (the ledger writes that one), the status twice.
func produceSources(t *testing.T, ctx context.Context, brokers []string) {
	t.Helper()
	now := time.Now()
	ev, _ := proto.Marshal(&recordv1.Event{MessageId: "m1", TenantId: "shop-1", Status: ternv1.Status_STATUS_DELIVERED, To: "+14155552671",
		Category: ternv1.Category_CATEGORY_TRANSACTIONAL, Time: timestamppb.New(now)})
	reply, _ := proto.Marshal(&recordv1.Reply{TenantId: "shop-1", From: "+14155552671", To: "+14155550100", Text: "thanks!", Intent: "none",
		Action: "none", ReceivedAt: timestamppb.New(now), Source: "tern.mo/0/7"})
	run, _ := proto.Marshal(&recordv1.FlowRunEnded{RunId: "42", TenantId: "shop-1", FlowId: "abandoned_checkout", State: "exited",
		Reason: "an order was placed", StartedAt: timestamppb.New(now), EndedAt: timestamppb.New(now)})
	camp, _ := json.Marshal(map[string]string{"Tenant": "shop-1", "Campaign": "spring"})
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := []*kgo.Record{{Topic: "tern.events", Key: []byte("m1"), Value: ev}, {Topic: "tern.replies", Value: reply},
		{Topic: "tern.flow-runs", Value: run}, {Topic: "tern.campaigns", Value: camp}, {Topic: "tern.events", Key: []byte("m1"), Value: ev}}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}
