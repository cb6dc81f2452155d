package analytics_test

import (
	"context"
	"fmt"
	"reflect"
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

// TestRepliesWriter: the replies topic's records reach the replies table,
// each MO record counted once however often it is read, with no
// customer number or text in ClickHouse.
func TestRepliesWriter(t *testing.T) {
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
	w := analytics.NewRepliesWriter(s, analytics.RepliesConfig{Brokers: kc.Brokers, Topic: kc.Topics.Replies})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	defer func() { stop(); <-done }()

	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.Brokers...), kgo.DefaultProduceTopic(kc.Topics.Replies))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	at := timestamppb.New(time.Now())
	replies := []*recordv1.Reply{
		{TenantId: "t1", From: "+14155552671", To: "14155550100", Text: "STOP", Intent: "opt_out", Keyword: "stop", Language: "en", Action: "opted_out", ReceivedAt: at, Source: "tern.mo/0/1"},
		{TenantId: "t1", From: "+14155552671", To: "14155550100", Text: "STOP", Intent: "opt_out", Keyword: "stop", Language: "en", Action: "opted_out", ReceivedAt: at, Source: "tern.mo/0/1"},
		{TenantId: "t1", From: "+14155552672", To: "14155550100", Text: "help", Intent: "help", Keyword: "help", Language: "en", Action: "help_sent", ReceivedAt: at, Source: "tern.mo/0/2"},
		{TenantId: "t1", From: "+14155552673", To: "14155550100", Text: "stop by our store today", Intent: "none", Action: "none", ReceivedAt: at, Source: "tern.mo/1/7"},
		{TenantId: "t2", From: "+14155552674", To: "12345", Text: "ALTO", Intent: "opt_out", Keyword: "alto", Language: "es", Action: "opted_out", ReceivedAt: at, Source: "tern.mo/1/8"},
	}
	for _, r := range replies {
		v, err := proto.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte(r.TenantId), Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	want := []analytics.ReplyCount{{Intent: "help", Action: "help_sent", Replies: 1}, {Intent: "none", Action: "none", Replies: 1},
		{Intent: "opt_out", Action: "opted_out", Replies: 1}}
	testkit.Eventually(t, 30*time.Second, func() error {
		got, err := s.ReplyCounts(ctx, "t1", time.Now().Add(-time.Hour))
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("reply counts %+v, want %+v", got, want)
		}
		return nil
	})
	if n := countRows(t, s, "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'replies' AND name IN ('from', 'from_number', 'text')"); n != 0 {
		t.Errorf("the replies table has %d columns for the customer's number or text", n)
	}
}
