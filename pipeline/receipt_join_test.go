package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline/kafkatest"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// joinerRig is a receipt joiner on a fresh database and broker, the ledger
// that maps carrier ids to messages, a producer of receipt records and the
// events the joiner wrote.
type joinerRig struct {
	t      *testing.T
	ctx    context.Context
	cfg    KafkaConfig
	store  *Store
	ledger *Ledger
	log    *slog.Logger
	cl     *kgo.Client

	mu     sync.Mutex
	events map[string][]*recordv1.Event
}

func startJoiner(t *testing.T) *joinerRig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cfg := KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 2}.WithDefaults()
	if err := EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	r := &joinerRig{t: t, ctx: ctx, cfg: cfg, events: map[string][]*recordv1.Event{},
		log: testkit.Logger(t, slog.LevelWarn)}
	r.ledger, r.store = runLedger(t)
	var err error
	if r.cl, err = kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.DefaultProduceTopic(cfg.Topics.Receipts),
		kgo.ConsumeTopics(cfg.Topics.Events), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { NewReceiptJoiner(cfg, r.store, nil, r.log).Run(runCtx) })
	wg.Go(func() { r.readEvents(runCtx) })
	t.Cleanup(func() { stop(); wg.Wait(); r.cl.Close() })
	return r
}

func (r *joinerRig) readEvents(ctx context.Context) {
	for ctx.Err() == nil {
		r.cl.PollFetches(ctx).EachRecord(func(m *kgo.Record) {
			ev := &recordv1.Event{}
			if proto.Unmarshal(m.Value, ev) == nil {
				r.mu.Lock()
				r.events[ev.MessageId] = append(r.events[ev.MessageId], ev)
				r.mu.Unlock()
			}
		})
	}
}

// finals returns the final events of id so far.
func (r *joinerRig) finals(id string) []*recordv1.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*recordv1.Event
	for _, ev := range r.events[id] {
		if core.Status(ev.Status).Final() {
			out = append(out, ev)
		}
	}
	return out
}

// waitFinals waits until id has n final events, the last with status st.
func (r *joinerRig) waitFinals(id string, n int, st core.Status) *recordv1.Event {
	r.t.Helper()
	var last *recordv1.Event
	testkit.Eventually(r.t, 30*time.Second, func() error {
		evs := r.finals(id)
		if len(evs) != n {
			return fmt.Errorf("%s: %d final events, want %d", id, len(evs), n)
		}
		if last = evs[n-1]; core.Status(last.Status) != st {
			return fmt.Errorf("%s: final event %v, want %v", id, core.Status(last.Status), st)
		}
		return nil
	})
	return last
}

// accept records that the carrier accepted id with these carrier ids.
func (r *joinerRig) accept(id string, carrierIDs ...string) {
	r.t.Helper()
	r.begin(id)
	if err := r.ledger.Answer(r.ctx, answer{messageID: id, state: stateAccepted, carrier: "sim", ids: carrierIDs}, nil); err != nil {
		r.t.Fatal(err)
	}
}

// begin records the intent to submit id.
func (r *joinerRig) begin(id string) {
	r.t.Helper()
	if _, err := r.ledger.Begin(r.ctx, testRef(id), newIntentToken()); err != nil {
		r.t.Fatal(err)
	}
}

// receipt is a receipt record of the "sim" carrier as tern's sink writes
// it, received at received.
func receipt(id, state string, received time.Time) *recordv1.Receipt {
	return &recordv1.Receipt{Carrier: "sim", CarrierMessageId: id, State: state,
		Status: ternv1.Status(core.ReceiptStatus(state)), ReceivedAt: timestamppb.New(received)}
}

// produce writes receipt records, or raw values, to the receipts topic.
func (r *joinerRig) produce(recs ...any) {
	r.t.Helper()
	var out []*kgo.Record
	for _, rec := range recs {
		switch v := rec.(type) {
		case []byte:
			out = append(out, &kgo.Record{Key: []byte("raw"), Value: v})
		case *recordv1.Receipt:
			b, err := proto.Marshal(v)
			if err != nil {
				r.t.Fatal(err)
			}
			out = append(out, &kgo.Record{Key: []byte(v.CarrierMessageId), Value: b})
		}
	}
	if err := r.cl.ProduceSync(r.ctx, out...).FirstErr(); err != nil {
		r.t.Fatal(err)
	}
}

// keptReceipts counts the rows of unknown_receipts.
func (r *joinerRig) keptReceipts() int {
	r.t.Helper()
	var n int
	if err := r.store.pool.QueryRow(r.ctx, "SELECT count(*) FROM unknown_receipts").Scan(&n); err != nil {
		r.t.Fatal(err)
	}
	return n
}

// A receipt record that does not decode, or whose fields carry a NUL
// (which PostgreSQL refuses in text), stops no other receipt: the
// undecodable one goes to the dead-letter topic with the reason, the NULs
// are stored escaped, and every message gets its status.
func TestReceiptJoinerGoesPastPoison(t *testing.T) {
	t.Parallel()
	r := startJoiner(t)
	r.accept("m1", "c1")
	r.accept("m2", "c2")
	r.accept("m3", "c3")
	now := time.Now()
	undeliv := receipt("c2", "UNDELIV", now)
	undeliv.ErrorCode = "0\x001"
	nulState := receipt("c3", "DELIVRD", now)
	nulState.State = "DELIVRD\x00"
	r.produce([]byte("\xff\xffnot a receipt"), receipt("c\x00x", "DELIVRD", now), receipt("c1", "DELIVRD", now), undeliv, nulState)

	r.waitFinals("m1", 1, core.StatusDelivered)
	if ev := r.waitFinals("m2", 1, core.StatusUndelivered); ev.ErrorCode != `0\x001` {
		t.Errorf("m2's error code %q, want the NUL escaped", ev.ErrorCode)
	}
	r.waitFinals("m3", 1, core.StatusDelivered)
	testkit.Eventually(t, 30*time.Second, func() error {
		var id string
		err := r.store.pool.QueryRow(r.ctx, "SELECT carrier_message_id FROM unknown_receipts").Scan(&id)
		if err != nil || id != `c\x00x` {
			return fmt.Errorf("kept receipt %q, %v; want its id with the NUL escaped", id, err)
		}
		return nil
	})
	testkit.Eventually(t, 30*time.Second, func() error {
		dls, err := ListDeadLetters(r.ctx, r.cfg)
		if err != nil || len(dls) != 1 {
			return fmt.Errorf("dead letters %+v, %v; want the undecodable record", dls, err)
		}
		if dl := dls[0]; dl.SourceTopic != r.cfg.Topics.Receipts || !strings.Contains(dl.Reason, "undecodable receipt") || string(dl.Value) != "\xff\xffnot a receipt" {
			return fmt.Errorf("dead letter %+v, want the record from %s with its reason", dl, r.cfg.Topics.Receipts)
		}
		return nil
	})
}

// A carrier that restarts may hand out an id again. A receipt for the new
// use of an id that arrives before the new message's id is recorded
// belongs to the new message, not to the old one its id still maps to;
// and a receipt kept from before a message was submitted is not that
// message's, even when it carries the message's id.
func TestReceiptForReusedIDJoinsItsOwnMessage(t *testing.T) {
	t.Parallel()
	r := startJoiner(t)

	// m1 gets id x1 and its receipt.
	r.accept("m1", "x1")
	r1 := receipt("x1", "DELIVRD", time.Now())
	r.produce(r1)
	r.waitFinals("m1", 1, core.StatusDelivered)
	// The same receipt read again (a batch replayed after a crash) writes
	// m1's final event again.
	r.produce(r1)
	r.waitFinals("m1", 2, core.StatusDelivered)

	// m2 is on the wire and the carrier gave it x1 again; its receipt
	// comes before its answer is recorded.
	r.begin("m2")
	r.produce(receipt("x1", "UNDELIV", time.Now()))
	testkit.Eventually(t, 30*time.Second, func() error {
		if len(r.finals("m1")) < 3 && r.keptReceipts() == 0 {
			return fmt.Errorf("m2's receipt not handled yet")
		}
		return nil
	})
	if err := r.ledger.Answer(r.ctx, answer{messageID: "m2", state: stateAccepted, carrier: "sim", ids: []string{"x1"}}, nil); err != nil {
		t.Fatal(err)
	}
	r.waitFinals("m2", 1, core.StatusUndelivered)
	for _, ev := range r.finals("m1") {
		if core.Status(ev.Status) != core.StatusDelivered {
			t.Fatalf("m1 got m2's receipt: %v", ev)
		}
	}

	// A receipt for y1 kept since an hour ago, when y1 belonged to a
	// message long gone; then m3 gets y1, and its own receipt.
	kept := r.keptReceipts()
	r.produce(receipt("y1", "EXPIRED", time.Now().Add(-time.Hour)))
	testkit.Eventually(t, 30*time.Second, func() error {
		if n := r.keptReceipts(); n != kept+1 {
			return fmt.Errorf("%d kept receipts, want %d", n, kept+1)
		}
		return nil
	})
	r.accept("m3", "y1")
	r.produce(receipt("y1", "DELIVRD", time.Now()))
	r.waitFinals("m3", 1, core.StatusDelivered)
}

// A message whose carrier accepted it but sent no receipt by its validity
// plus the grace period ends UNKNOWN, reason "no receipt", with the parts
// that did report counted; a message that completed is left alone, and a
// receipt that comes after the sweep changes nothing.
func TestNoReceiptEndsUnknown(t *testing.T) {
	t.Parallel()
	r := startJoiner(t)
	r.accept("half", "h1", "h2")
	r.accept("whole", "w1")
	r.produce(receipt("h1", "DELIVRD", time.Now()), receipt("w1", "DELIVRD", time.Now()))
	r.waitFinals("whole", 1, core.StatusDelivered)
	testkit.Eventually(t, 30*time.Second, func() error {
		var parts []int16
		err := r.store.pool.QueryRow(r.ctx, "SELECT part_status FROM deliveries WHERE message_id = 'half'").Scan(&parts)
		if err != nil || len(parts) != 2 || parts[0] == 0 {
			return fmt.Errorf("half's parts %v, %v: want the first one's receipt applied", parts, err)
		}
		return nil
	})

	runCtx, stop := context.WithCancel(r.ctx)
	done := make(chan struct{})
	go func() { NewReceiptSweeper(r.cfg, r.store, 2*time.Second, nil, r.log).Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	ev := r.waitFinals("half", 1, core.StatusUnknown)
	if ev.Reason != "no receipt" || ev.Segments != 2 || ev.Carrier != "sim" {
		t.Fatalf("half's final event %v, want UNKNOWN with reason no receipt", ev)
	}

	kept := r.keptReceipts()
	r.produce(receipt("h2", "UNDELIV", time.Now()))
	testkit.Eventually(t, 30*time.Second, func() error {
		if n := r.keptReceipts(); n != kept+1 {
			return fmt.Errorf("%d kept receipts, want the late one parked too", n)
		}
		return nil
	})
	if evs := r.finals("half"); len(evs) != 1 {
		t.Fatalf("half's final events %v, want only the sweep's", evs)
	}
	if evs := r.finals("whole"); len(evs) != 1 {
		t.Fatalf("whole's final events %v, want only its receipt's", evs)
	}
}
