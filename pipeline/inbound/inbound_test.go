package inbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/pipeline"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// recorder is the Sender seam: it keeps what tern would send. The
// pipeline's Intake takes its place in the server.
type recorder struct {
	mu   sync.Mutex
	sent []pipeline.Request
}

func (r *recorder) Send(_ context.Context, reqs []pipeline.Request, out []pipeline.Result) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, reqs...)
	for i := range out {
		out[i] = pipeline.Result{ID: fmt.Sprint(len(r.sent)), Status: core.StatusQueued}
	}
	return nil
}

// to returns what was sent to number.
func (r *recorder) to(number string) []pipeline.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []pipeline.Request
	for _, q := range r.sent {
		if q.To == number {
			out = append(out, q)
		}
	}
	return out
}

const shopNumber = "+14155550100"

// env is one instance's inbound processor on the real broker and
// database, with tenant shop-1 owning shopNumber.
type env struct {
	kafka  pipeline.KafkaConfig
	url    string
	reg    *tenants.Registry
	ledger *consentlog.Ledger
	set    *consentlog.Set
	store  *Store
	sent   *recorder
	sink   *pipeline.ReceiptSink
}

func newEnv(t *testing.T, ctx context.Context) *env {
	t.Helper()
	e := &env{url: pgtest.URL(t), sent: &recorder{}}
	e.kafka = pipeline.KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 2}.WithDefaults()
	if err := pipeline.EnsureTopics(ctx, e.kafka); err != nil {
		t.Fatal(err)
	}
	if err := createTopic(ctx, e.kafka.Brokers, "tern.replies", 2); err != nil {
		t.Fatal(err)
	}
	ts, err := tenants.Open(ctx, e.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Close)
	if _, err := ts.CreateTenant(ctx, tenants.Tenant{ID: "shop-1", Name: "Acme", Policy: consent.Policy{Contact: "acme.example/help"}}); err != nil {
		t.Fatal(err)
	}
	if err := ts.SetSenders(ctx, "shop-1", []tenants.Sender{{ID: shopNumber, Default: true}}); err != nil {
		t.Fatal(err)
	}
	if e.reg, err = tenants.NewRegistry(ctx, ts); err != nil {
		t.Fatal(err)
	}
	topic := consentlog.TopicConfig{Brokers: e.kafka.Brokers, Topic: "tern.suppressions"}
	if err := consentlog.EnsureTopic(ctx, topic, 2, 1); err != nil {
		t.Fatal(err)
	}
	if e.ledger, err = consentlog.Open(ctx, e.url, consentlog.NewHasher([]byte("inbound-test")), topic); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.ledger.Close)
	if e.set, err = e.ledger.NewSet(ctx); err != nil {
		t.Fatal(err)
	}
	if e.store, err = OpenStore(ctx, e.url, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.store.Close)
	if e.sink, err = pipeline.NewReceiptSink(e.kafka); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.sink.Close() })
	return e
}

// run starts a processor in group, stopped when the test ends.
func (e *env) run(t *testing.T, ctx context.Context, group string) {
	t.Helper()
	p, err := New(Config{Brokers: e.kafka.Brokers, MO: e.kafka.Topics.MO, Group: group, Replies: "tern.replies"}, e.reg, e.ledger, e.store, e.sent, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// reply is a customer's reply arriving from a carrier.
func (e *env) reply(t *testing.T, ctx context.Context, from, to, text string) {
	t.Helper()
	if err := e.sink.HandleInbound(ctx, carriers.Inbound{Carrier: "sim", From: from, To: to, Text: text}); err != nil {
		t.Fatal(err)
	}
}

// TestRepliesActedOn takes replies through the MO topic end to end: the
// keyword cases of the issue, HELP, START, a double opt-in and a flood.
func TestRepliesActedOn(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	go e.set.Run(ctx)
	e.run(t, ctx, "tern-inbound")
	const (
		pleaseStop = "+14155552671"
		alto       = "+14155552672"
		byTheStore = "+14155552673"
		helper     = "+14155552674"
		doi        = "+14155552675"
		flood      = "+14155552676"
	)
	if _, err := e.ledger.RequestDoubleOptIn(ctx, consentlog.Event{Tenant: "shop-1", Number: doi, Source: "web"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	e.reply(t, ctx, "14155552671", "14155550100", "Please stop texting me")
	e.reply(t, ctx, alto, shopNumber, "ALTO")
	e.reply(t, ctx, byTheStore, shopNumber, "stop by our store today")
	e.reply(t, ctx, helper, shopNumber, "HELP")
	e.reply(t, ctx, doi, shopNumber, "YES")
	e.reply(t, ctx, "+14155552677", "+19995550000", "STOP") // to no tenant's number
	for range 50 {
		e.reply(t, ctx, flood, shopNumber, "hello?")
	}
	e.reply(t, ctx, flood, shopNumber, "STOP")

	optedOut := func(n string) bool { return e.set.Lookup("shop-1", n).OptedOut }
	testkit.Eventually(t, 30*time.Second, func() error {
		for _, n := range []string{pleaseStop, alto, flood} {
			if !optedOut(n) {
				return fmt.Errorf("%s not opted out", n)
			}
		}
		if !e.set.Lookup("shop-1", doi).Marketing {
			return errors.New("double opt-in not confirmed by YES")
		}
		for _, n := range []string{helper, pleaseStop, alto, doi, flood} {
			if len(e.sent.to(n)) == 0 {
				return fmt.Errorf("no answer to %s yet", n)
			}
		}
		return nil
	})
	if optedOut(byTheStore) {
		t.Fatal(`"stop by our store today" opted out`)
	}
	stop := e.sent.to(pleaseStop)
	if len(stop) != 1 || !strings.HasPrefix(stop[0].Body, "Acme: ") || !strings.Contains(stop[0].Body, "no more messages") ||
		stop[0].From != "14155550100" || !consent.IsExempt(stop[0].Origin) || stop[0].IdempotencyKey == "" {
		t.Fatalf("STOP confirmation: %+v", stop)
	}
	if h := e.sent.to(helper); !strings.Contains(h[0].Body, "acme.example/help") {
		t.Fatalf("HELP answer %q", h[0].Body)
	}
	if c := e.sent.to(doi); len(c) != 1 || !strings.Contains(c[0].Body, "subscribed to marketing") {
		t.Fatalf("double opt-in answer: %+v", c)
	}
	if got := e.sent.to(byTheStore); len(got) != 0 {
		t.Fatalf("answered an ordinary reply: %+v", got)
	}
	// The flood: its STOP acted on and confirmed; its texts stored up to
	// the rate.
	if got := e.sent.to(flood); len(got) != 1 || got[0].Origin != consent.OriginPrefix+"stop" {
		t.Fatalf("answers to the flooding number: %+v", got)
	}
	floodStored, _, err := e.store.List(ctx, "shop-1", flood, MaxPage, "")
	if err != nil || len(floodStored) > storeBurst+5 || floodStored[0].Reading.Keyword != "stop" {
		t.Fatalf("stored from the flood: %d (newest %+v), %v", len(floodStored), floodStored[0], err)
	}
	// START reverses the STOP.
	e.reply(t, ctx, pleaseStop, shopNumber, "START")
	testkit.Eventually(t, 30*time.Second, func() error {
		if optedOut(pleaseStop) || len(e.sent.to(pleaseStop)) != 2 {
			return fmt.Errorf("START: opted out %v, %d answers", optedOut(pleaseStop), len(e.sent.to(pleaseStop)))
		}
		return nil
	})
	// Every reply stored with its reading.
	got, _, err := e.store.List(ctx, "shop-1", byTheStore, 10, "")
	if err != nil || len(got) != 1 || got[0].Reading.Intent.String() != "none" || got[0].Action != ActionNone {
		t.Fatalf("ListInbound for the ordinary reply: %+v, %v", got, err)
	}
	evs, err := e.ledger.Events(ctx, "shop-1", pleaseStop)
	if err != nil || len(evs) != 2 || evs[0].Method != consentlog.MethodKeyword || !strings.Contains(evs[0].Detail, "stop texting me") {
		t.Fatalf("audit trail of the STOP number: %+v, %v", evs, err)
	}
	checkRepliesTopic(t, ctx, e)

	// Redelivery: another group reads every record again. Nothing new is
	// recorded or sent.
	before := len(e.sent.sent)
	e.run(t, ctx, "tern-inbound-replay")
	waitGroupCaughtUp(t, ctx, e, "tern-inbound-replay")
	if after := len(e.sent.sent); after != before {
		t.Fatalf("redelivery sent %d more", after-before)
	}
	if evs2, _ := e.ledger.Events(ctx, "shop-1", pleaseStop); len(evs2) != len(evs) {
		t.Fatalf("redelivery recorded %d more events", len(evs2)-len(evs))
	}
}

// checkRepliesTopic finds the STOP's Reply record on the replies topic.
func checkRepliesTopic(t *testing.T, ctx context.Context, e *env) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka.Brokers...), kgo.ConsumeTopics("tern.replies"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	testkit.Eventually(t, 30*time.Second, func() error {
		fctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		var found error = errors.New("no opted_out reply record")
		cl.PollFetches(fctx).EachRecord(func(r *kgo.Record) {
			var rec recordv1.Reply
			if proto.Unmarshal(r.Value, &rec) == nil && rec.Action == ActionOptedOut && rec.Intent == "opt_out" && rec.TenantId == "shop-1" {
				found = nil
			}
		})
		return found
	})
}

// waitGroupCaughtUp waits until group has committed the end of the MO
// topic: it has handled every record.
func waitGroupCaughtUp(t *testing.T, ctx context.Context, e *env, group string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	testkit.Eventually(t, 30*time.Second, func() error {
		return groupCaughtUp(ctx, cl, group, e.kafka.Topics.MO, e.kafka.Partitions)
	})
}
