package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline/kafkatest"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// TestInboundToMOTopic: a customer's reply arrives as deliver_sm and lands
// on the MO topic before the SMSC gets its deliver_sm_resp.
func TestInboundToMOTopic(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 2}.WithDefaults()
	if err := EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	sim, err := smscsim.New(smscsim.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sink, err := NewReceiptSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	client, err := smpp.NewClient(smpp.ClientConfig{Name: "sim", Addr: sim.Addr(), SystemID: "tern", Password: "pw"},
		smpp.WithReceiptHandler(sink.Handle), smpp.WithInboundHandler(sink.HandleInbound))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { client.Run(runCtx); close(done) }()
	defer func() { client.Close(ctx); stop(); <-done }()

	testkit.Eventually(t, 5*time.Second, func() error { // until the client is bound
		return sim.SendMO(ctx, "tern", "+14155552671", "12345", "STOP ça suffit")
	})
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: cfg.Brokers, GroupTopics: []string{cfg.Topics.MO}, GroupID: "mo-test", MaxWait: 100 * time.Millisecond})
	defer r.Close()
	m, err := r.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in := &recordv1.Inbound{}
	if err := proto.Unmarshal(m.Value, in); err != nil {
		t.Fatal(err)
	}
	if in.Carrier != "sim" || in.Text != "STOP ça suffit" || in.To != "12345" || !strings.HasSuffix(in.From, "14155552671") || in.ReceivedAt == nil {
		t.Fatalf("inbound record = %v", in)
	}
}
