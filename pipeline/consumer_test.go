package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
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

// orderWatch wraps a real carrier client and checks, per recipient, that
// submits never overlap and arrive in the order the test sent them
// ("#N" in the text).
type orderWatch struct {
	carriers.Carrier
	mu       sync.Mutex
	busy     map[string]bool
	last     map[string]int
	inFlight int
	peak     int
	errs     []string
}

func (o *orderWatch) Submit(ctx context.Context, s *carriers.Submission) (carriers.Accepted, error) {
	seq, _ := strconv.Atoi(s.Text[strings.LastIndex(s.Text, "#")+1:])
	o.mu.Lock()
	if o.busy[s.To] {
		o.errs = append(o.errs, fmt.Sprintf("%s: #%d submitted while an earlier one was in flight", s.To, seq))
	}
	if seq <= o.last[s.To] {
		o.errs = append(o.errs, fmt.Sprintf("%s: #%d after #%d", s.To, seq, o.last[s.To]))
	}
	o.busy[s.To], o.last[s.To] = true, seq
	o.inFlight++
	o.peak = max(o.peak, o.inFlight)
	o.mu.Unlock()
	acc, err := o.Carrier.Submit(ctx, s)
	o.mu.Lock()
	o.busy[s.To] = false
	o.inFlight--
	o.mu.Unlock()
	return acc, err
}

// finalEvents reads the events topic until want messages have a final event.
func finalEvents(ctx context.Context, t *testing.T, cfg KafkaConfig, want int) map[string]*recordv1.Event {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: cfg.Brokers, GroupTopics: []string{cfg.Topics.Events}, GroupID: "test-" + t.Name(), MaxWait: 100 * time.Millisecond})
	defer r.Close()
	final := map[string]*recordv1.Event{}
	for len(final) < want {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("events: %v (%d of %d final)", err, len(final), want)
		}
		ev := &recordv1.Event{}
		if err := proto.Unmarshal(m.Value, ev); err != nil {
			t.Fatal(err)
		}
		if core.Status(ev.Status).Final() {
			final[ev.MessageId] = ev
		}
	}
	return final
}

func TestConsumerOrderWindowAndReceipts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	log := testkit.Logger(t, slog.LevelWarn)
	cfg := KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 4}.WithDefaults()
	if err := EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	store := testStore(t)
	ledger := NewLedger(store, nil)
	simCfg := smscsim.Config{Addr: "127.0.0.1:0", Seed: 3, DeliveredRatio: 0.7, UndeliveredRatio: 0.3,
		Latency: time.Millisecond, ReceiptDelay: 10 * time.Millisecond}
	sim, err := smscsim.New(simCfg)
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
	client, err := smpp.NewClient(smpp.ClientConfig{Name: "sim", Addr: sim.Addr(), SystemID: "tern", Password: "pw", Window: 50},
		smpp.WithReceiptHandler(sink.Handle), smpp.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	watch := &orderWatch{Carrier: client, busy: map[string]bool{}, last: map[string]int{}}
	con, err := NewConsumer(cfg, OneCarrier{watch}, ledger, WithWindow(32), WithConsumerLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	joiner := NewReceiptJoiner(cfg, store, nil, log)
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{ledger.Run, client.Run, con.Run, joiner.Run} {
		wg.Go(func() { run(runCtx) })
	}
	defer func() { client.Close(ctx); stop(); wg.Wait() }()

	in, err := NewIntake(cfg, testIssuer(t), store)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	const n, recipients = 3000, 40
	reqs := make([]Request, n)
	for i := range reqs {
		to := fmt.Sprintf("+1415555%04d", 3000+i%recipients)
		reqs[i] = Request{TenantID: "shop", To: to, Body: fmt.Sprintf("Update for %s #%d", to, i/recipients+1)}
	}
	out := make([]Result, n)
	for i := 0; i < n; i += 500 {
		if err := in.Send(ctx, reqs[i:i+500], out[i:i+500]); err != nil {
			t.Fatal(err)
		}
	}
	final := finalEvents(ctx, t, cfg, n)
	for i, r := range out {
		ev := final[r.ID]
		want := map[string]core.Status{"DELIVRD": core.StatusDelivered, "UNDELIV": core.StatusUndelivered}[simCfg.Outcome(reqs[i].To, reqs[i].Body)]
		if ev == nil || core.Status(ev.Status) != want || ev.Carrier != "sim" || ev.Segments != 1 {
			t.Fatalf("message %d: final event %v, want %v", i, ev, want)
		}
		if got := sim.Submits(reqs[i].To, reqs[i].Body); got != 1 {
			t.Fatalf("message %d submitted %d times", i, got)
		}
	}
	watch.mu.Lock()
	defer watch.mu.Unlock()
	if len(watch.errs) > 0 {
		t.Fatalf("order broken: %v", watch.errs[:min(5, len(watch.errs))])
	}
	if watch.peak < 2 {
		t.Fatalf("at most %d submits in flight: the window did not overlap submits", watch.peak)
	}
	t.Logf("peak submits in flight: %d", watch.peak)
}

// holdText keeps the submit of the message with this text from the
// carrier, whatever its context says, until release is closed; the rest
// go straight through.
type holdText struct {
	carriers.Carrier
	text    string
	release chan struct{}
}

func (h *holdText) Submit(ctx context.Context, s *carriers.Submission) (carriers.Accepted, error) {
	if s.Text == h.text {
		<-h.release
	}
	return h.Carrier.Submit(ctx, s)
}

// TestSlowMessageDoesNotHoldItsPartition: one partition, a window of 8,
// and the first message's submit held at the carrier. The 40 behind it
// still go out: the window counts messages not finished, and finished
// ones only wait for their offset commit.
func TestSlowMessageDoesNotHoldItsPartition(t *testing.T) {
	t.Parallel()
	const window, others, held = 8, 40, "Your order #1 is on its way"
	release := make(chan struct{})
	var once sync.Once
	unhold := func() { once.Do(func() { close(release) }) }
	defer unhold()
	p := startPipelineWith(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 4, ReceiptDelay: 10 * time.Millisecond},
		pipelineSetup{partitions: 1, wrap: func(c carriers.Carrier) carriers.Carrier { return &holdText{Carrier: c, text: held, release: release} }},
		WithWindow(window))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reqs := []Request{{TenantID: "shop", To: "+14155550100", Body: held}}
	for i := range others {
		reqs = append(reqs, Request{TenantID: "shop", To: fmt.Sprintf("+1415555%04d", 2000+i), Body: fmt.Sprintf("Your order #%d is on its way", 100+i)})
	}
	out := make([]Result, len(reqs))
	for i := range reqs { // one at a time: the held message first in the partition
		if err := p.intake.Send(ctx, reqs[i:i+1], out[i:i+1]); err != nil || out[i].Err != nil {
			t.Fatalf("send %d: %v, %v", i, err, out[i].Err)
		}
	}
	sent := func() (n int) {
		for _, r := range reqs[1:] {
			n += p.sim.Submits(r.To, r.Body)
		}
		return n
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if n := sent(); n < others {
			return fmt.Errorf("%d of the %d messages behind the held one reached the carrier while it was held (window %d)", n, others, window)
		}
		return nil
	})
	if p.sim.Submits(reqs[0].To, held) != 0 {
		t.Fatal("the held message reached the carrier before its release")
	}
	unhold()
	ids := make([]string, len(out))
	for i, r := range out {
		ids[i] = r.ID
	}
	p.events(ctx, t, func(m map[string][]*recordv1.Event) bool { return allFinalEvents(m, ids) })
}
