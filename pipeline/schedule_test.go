package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline/kafkatest"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// testPipeline runs a whole pipeline against the simulator.
type testPipeline struct {
	cfg    KafkaConfig
	store  *Store
	sim    *smscsim.Server
	simCfg smscsim.Config
	intake *Intake
}

func startPipeline(t *testing.T, simCfg smscsim.Config, opts ...ConsumerOption) *testPipeline {
	t.Helper()
	return startPipelineWith(t, simCfg, pipelineSetup{}, opts...)
}

// startPipelineTPS is startPipeline with the carrier connection capped at
// tps submits a second (0: no cap).
func startPipelineTPS(t *testing.T, simCfg smscsim.Config, tps float64, opts ...ConsumerOption) *testPipeline {
	t.Helper()
	return startPipelineWith(t, simCfg, pipelineSetup{tps: tps}, opts...)
}

// pipelineSetup is what a test changes in startPipeline's pipeline.
type pipelineSetup struct {
	tps        float64                                 // the carrier connection's cap (0: none)
	partitions int                                     // per submit topic (0: 4)
	wrap       func(carriers.Carrier) carriers.Carrier // around the simulator's client
}

func startPipelineWith(t *testing.T, simCfg smscsim.Config, s pipelineSetup, opts ...ConsumerOption) *testPipeline {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := testkit.Logger(t, slog.LevelWarn)
	cfg := KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: cmp.Or(s.partitions, 4)}.WithDefaults()
	if err := EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	p := &testPipeline{cfg: cfg, store: testStore(t), simCfg: simCfg}
	ledger := NewLedger(p.store, nil)
	var err error
	if p.sim, err = smscsim.New(simCfg); err != nil {
		t.Fatal(err)
	}
	if err := p.sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.sim.Close() })
	sink, err := NewReceiptSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	client, err := smpp.NewClient(smpp.ClientConfig{Name: "sim", Addr: p.sim.Addr(), SystemID: "tern", Password: "pw", RequestTimeout: 2 * time.Second, TPS: s.tps},
		smpp.WithReceiptHandler(sink.Handle), smpp.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	var carrier carriers.Carrier = client
	if s.wrap != nil {
		carrier = s.wrap(client)
	}
	con, err := NewConsumer(cfg, OneCarrier{carrier}, ledger, append([]ConsumerOption{WithConsumerLogger(log), WithSubmitTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{
		ledger.Run, client.Run, con.Run,
		NewReceiptJoiner(cfg, p.store, nil, log).Run,
		NewScheduler(cfg, p.store, nil, log).Run,
	} {
		wg.Go(func() { run(runCtx) })
	}
	t.Cleanup(func() { client.Close(context.Background()); stop(); wg.Wait() })
	if p.intake, err = NewIntake(cfg, testIssuer(t), p.store); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.intake.Close() })
	return p
}

// events reads every event of the events topic until stop says enough.
func (p *testPipeline) events(ctx context.Context, t *testing.T, stop func(map[string][]*recordv1.Event) bool) map[string][]*recordv1.Event {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: p.cfg.Brokers, GroupTopics: []string{p.cfg.Topics.Events}, GroupID: fmt.Sprint("test-", time.Now().UnixNano()), MaxWait: 100 * time.Millisecond})
	defer r.Close()
	byID := map[string][]*recordv1.Event{}
	for !stop(byID) {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("events: %v", err)
		}
		ev := &recordv1.Event{}
		if err := proto.Unmarshal(m.Value, ev); err != nil {
			t.Fatal(err)
		}
		byID[ev.MessageId] = append(byID[ev.MessageId], ev)
	}
	return byID
}

// submitted counts the messages of ids with a SUBMITTED event in m.
func submitted(m map[string][]*recordv1.Event, ids []string) (n int) {
	for _, id := range ids {
		if slices.ContainsFunc(m[id], func(ev *recordv1.Event) bool { return core.Status(ev.Status) == core.StatusSubmitted }) {
			n++
		}
	}
	return n
}

// allFinalEvents reports whether every message of ids has a final event in m.
func allFinalEvents(m map[string][]*recordv1.Event, ids []string) bool {
	return !slices.ContainsFunc(ids, func(id string) bool { return finalOf(m[id]) == nil })
}

func finalOf(evs []*recordv1.Event) *recordv1.Event {
	for _, ev := range evs {
		if core.Status(ev.Status).Final() {
			return ev
		}
	}
	return nil
}

func TestScheduledExpiredAndDeadLettered(t *testing.T) {
	t.Parallel()
	p := startPipeline(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1, ReceiptDelay: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	sendAt := time.Now().Add(2 * time.Second)
	// Due sooner than the scheduler is worth: it waits in the partition's
	// window, still not going out before its time.
	soon := time.Now().Add(scheduleSlack * 3 / 5)
	out := make([]Result, 3)
	if err := p.intake.Send(ctx, []Request{
		{TenantID: "shop", To: "+14155552671", Body: "Your weekend offer", SendAt: sendAt},
		{TenantID: "shop", To: "+14155552672", Body: "Sent at once"},
		{TenantID: "shop", To: "+14155552675", Body: "Your pickup window starts now", SendAt: soon},
	}, out); err != nil || out[0].Err != nil || out[1].Err != nil || out[2].Err != nil {
		t.Fatalf("send: %v %+v", err, out)
	}
	// A message already past its validity.
	expired, err := NewIntake(p.cfg, testIssuer(t), p.store, WithValidity(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer expired.Close()
	exp := make([]Result, 1)
	expired.Send(ctx, []Request{{TenantID: "shop", To: "+14155552673", Body: "Too late"}}, exp)

	// Two records that cannot be processed, straight onto the submit topic.
	bad := &recordv1.Submit{Id: "01BADBADBADBADBADBADBADBAD00000000", TenantId: "shop", To: "+14155552674"} // no body
	badValue, _ := proto.Marshal(bad)
	w := &kafka.Writer{Addr: kafka.TCP(p.cfg.Brokers...), Topic: p.cfg.Topics.Submit, RequiredAcks: kafka.RequireAll}
	if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("x"), Value: []byte("\xff\xfegarbage")}, kafka.Message{Key: []byte(bad.To), Value: badValue}); err != nil {
		t.Fatal(err)
	}
	w.Close()

	ids := []string{out[0].ID, out[1].ID, out[2].ID, exp[0].ID, bad.Id}
	evs := p.events(ctx, t, func(m map[string][]*recordv1.Event) bool {
		for _, id := range ids {
			if finalOf(m[id]) == nil {
				return false
			}
		}
		return true
	})
	// The scheduled message waited, then went out no earlier than send_at.
	var submitted time.Time
	waited := false
	for _, ev := range evs[out[0].ID] {
		switch core.Status(ev.Status) {
		case core.StatusQueued:
			waited = true
		case core.StatusSubmitted:
			submitted = ev.Time.AsTime()
		}
	}
	if !waited || submitted.Before(sendAt) || submitted.After(sendAt.Add(time.Second)) {
		t.Fatalf("scheduled message: waited %v, submitted %v, send_at %v", waited, submitted, sendAt)
	}
	for _, ev := range evs[out[2].ID] {
		if core.Status(ev.Status) == core.StatusSubmitted && ev.Time.AsTime().Before(soon) {
			t.Fatalf("message due in %v submitted at %v, before its send_at %v", scheduleSlack*3/5, ev.Time.AsTime(), soon)
		}
	}
	if f := finalOf(evs[out[1].ID]); core.Status(f.Status) != core.StatusDelivered {
		t.Fatalf("immediate message final %v", f)
	}
	if f := finalOf(evs[exp[0].ID]); core.Status(f.Status) != core.StatusExpired || p.sim.Submits("+14155552673", "Too late") != 0 {
		t.Fatalf("expired message final %v", f)
	}
	if f := finalOf(evs[bad.Id]); core.Status(f.Status) != core.StatusFailed || f.Reason != "dead-lettered: submit record without body" {
		t.Fatalf("bad record final %v", f)
	}

	dls, err := ListDeadLetters(ctx, p.cfg)
	if err != nil || len(dls) != 2 {
		t.Fatalf("dead letters %+v, %v; want 2", dls, err)
	}
	reasons := map[string]bool{}
	for _, dl := range dls {
		reasons[dl.Reason] = true
		if dl.SourceTopic != p.cfg.Topics.Submit {
			t.Fatalf("dead letter %+v: source topic", dl)
		}
	}
	if !reasons["undecodable submit record"] || !reasons["submit record without body"] {
		t.Fatalf("reasons %v", reasons)
	}
	// Replaying the bad one dead-letters it again: nothing is lost or looped.
	replayed, err := ReplayDeadLetters(ctx, p.cfg, func(dl DeadLetter) bool { return dl.MessageID == bad.Id })
	if err != nil || len(replayed) != 1 {
		t.Fatalf("replay = %v, %v", replayed, err)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		dls, err := ListDeadLetters(ctx, p.cfg)
		if err != nil || len(dls) != 3 {
			return fmt.Errorf("%d dead letters, %v; want 3", len(dls), err)
		}
		return nil
	})
}
