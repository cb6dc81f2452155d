package campaigns

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/core/price"
	"github.com/ternsms/tern/pipeline"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/contacts"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/templates"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// env is one database and broker with everything a campaign needs: the
// real intake, canceler, consent ledger, contact book and templates.
type env struct {
	url       string
	kafka     pipeline.KafkaConfig
	ledger    *consentlog.Ledger
	contacts  *contacts.Store
	templates *templates.Store
	pipe      *pipeline.Store
	intake    *pipeline.Intake
	prices    *price.Table
}

func newEnv(t *testing.T, ctx context.Context) *env {
	t.Helper()
	e := &env{url: pgtest.URL(t)}
	e.kafka = pipeline.KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 4}.WithDefaults()
	if err := pipeline.EnsureTopics(ctx, e.kafka); err != nil {
		t.Fatal(err)
	}
	topic := consentlog.TopicConfig{Brokers: e.kafka.Brokers, Topic: "tern.suppressions"}
	if err := consentlog.EnsureTopic(ctx, topic, 2, 1); err != nil {
		t.Fatal(err)
	}
	h := consentlog.NewHasher([]byte("campaigns-test"))
	var err error
	if e.ledger, err = consentlog.Open(ctx, e.url, h, topic); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.ledger.Close)
	if e.contacts, err = contacts.Open(ctx, e.url, h, contacts.WithConsent(e.ledger)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.contacts.Close)
	if e.templates, err = templates.Open(ctx, e.url, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.templates.Close)
	if e.pipe, err = pipeline.OpenStore(ctx, e.url, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.pipe.Close)
	ids, err := msgid.NewIssuer([]byte("campaigns-test-key"))
	if err != nil {
		t.Fatal(err)
	}
	if e.prices, err = price.Load(strings.NewReader("country,price,currency\nUS,0.0079,USD\n*,0.05,USD\n")); err != nil {
		t.Fatal(err)
	}
	if e.intake, err = pipeline.NewIntake(e.kafka, ids, e.pipe, pipeline.WithPrices(e.prices)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.intake.Close() })
	return e
}

// open opens a campaigns store, as one instance would, with intake in
// place of the real one when not nil.
func (e *env) open(t *testing.T, ctx context.Context, cfg Config, intake Intake) *Store {
	t.Helper()
	if intake == nil {
		intake = e.intake
	}
	if cfg.PollEvery == 0 {
		cfg.PollEvery = 50 * time.Millisecond
	}
	s, err := Open(ctx, e.url, cfg, Deps{Contacts: e.contacts, Templates: e.templates, Intake: intake,
		Canceler: pipeline.NewCanceler(e.pipe, 48*time.Hour), Prices: e.prices})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// seed stores n contacts of shop-1, numbered from +14152000000; every
// seventh has no consent and every eleventh opted out after opting in.
// It returns the ids of those a marketing message may go to.
func (e *env) seed(t *testing.T, ctx context.Context, n int) map[string]int64 {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("phone,first_name,consent\n")
	for i := range n {
		name, c := fmt.Sprintf("N%d", i), "yes"
		if i%5 == 0 {
			name = "" // takes the fallback
		}
		if i%7 == 0 {
			c = "no"
		}
		fmt.Fprintf(&csv, "+1415%07d,%s,%s\n", 2000000+i, name, c)
	}
	p, err := e.contacts.ImportChunk(ctx, "shop-1", contacts.ImportOptions{ID: "seed", List: "all", ConsentSource: "test"}, 0, []byte(csv.String()), true)
	if err != nil || p.Imported != int64(n) {
		t.Fatalf("seed import %+v, %v", p, err)
	}
	for i := 0; i < n; i += 11 {
		if _, _, _, err := e.ledger.Record(ctx, consentlog.Event{Tenant: "shop-1", Number: fmt.Sprintf("+1415%07d", 2000000+i), Kind: consent.OptOut,
			Scope: consent.ScopeAll, Method: consentlog.MethodKeyword}); err != nil {
			t.Fatal(err)
		}
	}
	eligible := map[string]int64{}
	for after := int64(0); ; {
		page, err := e.contacts.Page(ctx, "shop-1", contacts.Audience{SendableFor: core.CategoryMarketing}, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			eligible[c.Phone] = c.ID
		}
		if len(page) < 1000 {
			return eligible
		}
		after = page[len(page)-1].ID
	}
}

// submitted reads every record on the marketing topic: by recipient, the
// distinct message ids and their texts.
func (e *env) submitted(t *testing.T, ctx context.Context) map[string]map[string]*recordv1.Submit {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka.Brokers...), kgo.ConsumeTopics(e.kafka.Topics.Marketing),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out := map[string]map[string]*recordv1.Submit{}
	for idle := 0; idle < 5; {
		pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			var s recordv1.Submit
			if err := proto.Unmarshal(r.Value, &s); err != nil {
				t.Errorf("record: %v", err)
				return
			}
			if out[s.To] == nil {
				out[s.To] = map[string]*recordv1.Submit{}
			}
			out[s.To][s.Id] = &s
			n++
		})
		if n == 0 {
			idle++
		} else {
			idle = 0
		}
	}
	return out
}

// crashAfter is the real intake, except that the expansion's context is
// canceled right after the given Send returned: the step's messages are
// queued and its commit never happens, as when a process dies there.
type crashAfter struct {
	Intake
	n      int64
	calls  atomic.Int64
	mu     sync.Mutex
	cancel context.CancelFunc
}

func (c *crashAfter) Send(ctx context.Context, reqs []pipeline.Request, out []pipeline.Result) error {
	err := c.Intake.Send(ctx, reqs, out)
	if c.calls.Add(1) == c.n {
		c.mu.Lock()
		c.cancel()
		c.mu.Unlock()
	}
	return err
}
