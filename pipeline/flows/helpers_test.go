package flows

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/storeevents"
	"github.com/ternsms/tern/pipeline/stream"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// clock is a test clock: real time moved forward by skip.
type clock struct{ skip atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.skip.Load())) }
func (c *clock) forward(d time.Duration) { c.skip.Add(int64(d)) }

// env is one database and broker with tern's topics, the real intake
// and store event tracker.
type env struct {
	url    string
	kafka  pipeline.KafkaConfig
	intake *pipeline.Intake
	events *storeevents.Tracker
	clock  *clock
}

func newEnv(t *testing.T, ctx context.Context) *env {
	t.Helper()
	e := &env{url: pgtest.URL(t), clock: &clock{}}
	e.kafka = pipeline.KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 2}.WithDefaults()
	if err := pipeline.EnsureTopics(ctx, e.kafka); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{storeevents.DefaultTopic, DefaultRunsTopic} {
		if err := stream.EnsureTopic(ctx, e.kafka.Brokers, stream.Topic{Name: name, Partitions: 2}); err != nil {
			t.Fatal(err)
		}
	}
	store, err := pipeline.OpenStore(ctx, e.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	ids, err := msgid.NewIssuer([]byte("flows-test-key-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	if e.intake, err = pipeline.NewIntake(e.kafka, ids, store); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.intake.Close() })
	if e.events, err = storeevents.Open(ctx, e.url, storeevents.Config{Brokers: e.kafka.Brokers}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.events.Close)
	return e
}

// engine opens an engine on the env; waits of abandoned checkout and
// review request last a second.
func (e *env) engine(t *testing.T, ctx context.Context, opts ...Option) *Engine {
	t.Helper()
	opts = append([]Option{WithClock(e.clock.now), WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))),
		WithDelay("abandoned_checkout", "wait", time.Second), WithDelay("review_request", "wait", time.Second)}, opts...)
	en, err := Open(ctx, e.url, Config{Brokers: e.kafka.Brokers, Poll: 50 * time.Millisecond, Lease: 5 * time.Second}, e.intake, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(en.Close)
	return en
}

// start runs en's consumer and scheduler until stop is called or the
// test ends.
func start(t *testing.T, ctx context.Context, en *Engine) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); en.Consume(ctx) }()
	go func() { defer wg.Done(); en.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// shopify tracks a Shopify payload of core/commerce's testdata as
// webhook id for tenant, after edit.
func (e *env) shopify(t *testing.T, ctx context.Context, tenant, id, topic, file string, edit func(*commerce.Event)) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "core", "commerce", "testdata", "shopify", file))
	if err != nil {
		t.Fatal(err)
	}
	ev, ok, err := commerce.ParseShopify(topic, b)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	ev.ID, ev.Tenant, ev.OccurredAt = "shopify:"+id, tenant, e.clock.now()
	if edit != nil {
		edit(&ev)
	}
	e.track(t, ctx, ev)
}

func (e *env) track(t *testing.T, ctx context.Context, ev commerce.Event) {
	t.Helper()
	out := make([]storeevents.Result, 1)
	if err := e.events.Track(ctx, []commerce.Event{ev}, out); err != nil || out[0].Err != nil {
		t.Fatal(err, out[0].Err)
	}
}

// submitted reads every message on the three submit topics so far.
func (e *env) submitted(t *testing.T, ctx context.Context) []*recordv1.Submit {
	t.Helper()
	tp := e.kafka.Topics
	var out []*recordv1.Submit
	for _, r := range kafkatest.ReadAll(t, e.kafka.Brokers, tp.Submit, tp.Marketing, tp.OTP) {
		var s recordv1.Submit
		if err := proto.Unmarshal(r.Value, &s); err != nil {
			t.Errorf("submit record: %v", err)
		}
		out = append(out, &s)
	}
	return out
}

// to returns the messages of flow to number.
func to(msgs []*recordv1.Submit, flow, number string) []*recordv1.Submit {
	var out []*recordv1.Submit
	for _, m := range msgs {
		if m.To == number && m.Origin == "flow/"+flow {
			out = append(out, m)
		}
	}
	return out
}

// runOf returns the one run of flow for phone.
func runOf(ctx context.Context, en *Engine, tenant, flow, phone string) (Run, error) {
	runs, _, err := en.Runs(ctx, tenant, Filter{Flow: flow, Phone: phone}, 10, "")
	if err != nil {
		return Run{}, err
	}
	if len(runs) != 1 {
		return Run{}, fmt.Errorf("%d runs of %s for %s", len(runs), flow, phone)
	}
	return runs[0], nil
}

func enable(t *testing.T, ctx context.Context, en *Engine, tenant string, flows ...string) {
	t.Helper()
	for _, f := range flows {
		if _, err := en.SetEnabled(ctx, tenant, f, true); err != nil {
			t.Fatal(err)
		}
	}
}

// ended reads the FlowRunEnded records on the runs topic so far.
func (e *env) ended(t *testing.T, ctx context.Context) []*recordv1.FlowRunEnded {
	t.Helper()
	var out []*recordv1.FlowRunEnded
	for _, r := range kafkatest.ReadAll(t, e.kafka.Brokers, DefaultRunsTopic) {
		var x recordv1.FlowRunEnded
		if err := proto.Unmarshal(r.Value, &x); err != nil {
			t.Errorf("flow run record: %v", err)
		}
		out = append(out, &x)
	}
	return out
}
