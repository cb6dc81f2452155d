package verify

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// clock is a test's clock, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a Service on real parts: PostgreSQL, the in-process Kafka
// broker, the pipeline's Intake and the tenant registry, with tenant
// "shop-1" (brand Acme) whose default sender is a US number.
type env struct {
	svc     *Service
	store   *Store
	pgURL   string
	brokers []string
	kafka   pipeline.KafkaConfig
	clock   *clock
	metrics *Metrics
	reg     *prometheus.Registry
	ts      *tenants.Store
}

const verifyTopic = "tern.verify"

func newEnv(t *testing.T, ctx context.Context) *env {
	t.Helper()
	e := &env{pgURL: pgtest.URL(t), brokers: []string{kafkatest.Broker(t)}, clock: &clock{t: time.Now().UTC().Truncate(time.Millisecond)}}
	e.kafka = pipeline.KafkaConfig{Brokers: e.brokers, Partitions: 2}.WithDefaults()
	if err := pipeline.EnsureTopics(ctx, e.kafka); err != nil {
		t.Fatal(err)
	}
	ps, err := pipeline.OpenStore(ctx, e.pgURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ps.Close)
	ids, err := msgid.NewIssuer([]byte("verify-test-id-key"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := pipeline.NewIntake(e.kafka, ids, ps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	if e.ts, err = tenants.Open(ctx, e.pgURL, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.ts.Close)
	if _, err := e.ts.CreateTenant(ctx, tenants.Tenant{ID: "shop-1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := e.ts.SetSenders(ctx, "shop-1", []tenants.Sender{{ID: "+14155550100", Default: true}}); err != nil {
		t.Fatal(err)
	}
	reg, err := tenants.NewRegistry(ctx, e.ts)
	if err != nil {
		t.Fatal(err)
	}
	if e.store, err = Open(ctx, e.pgURL, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.store.Close)
	e.reg = prometheus.NewRegistry()
	e.metrics = NewMetrics(e.reg)
	rc := RecordsConfig{Brokers: e.brokers, Topic: verifyTopic}
	if err := EnsureTopic(ctx, rc, 2, 1); err != nil {
		t.Fatal(err)
	}
	recs, err := NewRecords(rc, nil, e.metrics)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(recs.Close)
	e.svc, err = New(e.store, []byte("a verify secret for tests"), in, reg, WithClock(e.clock.now), WithMetrics(e.metrics), WithRecords(recs))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// submits returns every message on the OTP lane so far, by origin.
func (e *env) submits(t *testing.T, ctx context.Context) map[string][]*recordv1.Submit {
	t.Helper()
	out := map[string][]*recordv1.Submit{}
	for _, r := range readTopic(t, ctx, e.brokers, e.kafka.Topics.OTP) {
		s := &recordv1.Submit{}
		if err := proto.Unmarshal(r.Value, s); err != nil {
			t.Fatal(err)
		}
		out[s.Origin] = append(out[s.Origin], s)
	}
	return out
}

var codeRE = regexp.MustCompile(`\b(\d{4,10})\b`)

// code returns the code in the last message sent for verification id.
func (e *env) code(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	subs := e.submits(t, ctx)[OriginPrefix+id]
	if len(subs) == 0 {
		t.Fatalf("no message for %s", id)
	}
	m := codeRE.FindStringSubmatch(subs[len(subs)-1].Body)
	if m == nil {
		t.Fatalf("no code in %q", subs[len(subs)-1].Body)
	}
	return m[1]
}

// events returns the VerifyEvent records so far.
func (e *env) events(t *testing.T, ctx context.Context) []*recordv1.VerifyEvent {
	t.Helper()
	var out []*recordv1.VerifyEvent
	for _, r := range readTopic(t, ctx, e.brokers, verifyTopic) {
		ev := &recordv1.VerifyEvent{}
		if err := proto.Unmarshal(r.Value, ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// readTopic reads every record of topic there is now.
func readTopic(t *testing.T, ctx context.Context, brokers []string, topic string) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for {
		pctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r); n++ })
		if n == 0 {
			return out
		}
	}
}

// counter reads a counter of the registry by name and label value.
func (e *env) counter(t *testing.T, name, label string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
