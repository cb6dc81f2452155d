package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/sender"
	"github.com/ternsms/tern/core/testkit"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// consentEnv is a pipeline with the consent ledger and tenants on one
// database and broker: what tern serve wires.
type consentEnv struct {
	cfg    KafkaConfig
	url    string
	store  *Store
	ledger *consentlog.Ledger
	set    *consentlog.Set
	hasher *consentlog.Hasher
}

func newConsentEnv(t *testing.T, ctx context.Context) *consentEnv {
	t.Helper()
	e := &consentEnv{url: pgtest.URL(t), hasher: consentlog.NewHasher([]byte("pipeline-consent-test"))}
	e.cfg = KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 2}.WithDefaults()
	if err := EnsureTopics(ctx, e.cfg); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.store, err = OpenStore(ctx, e.url, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.store.Close)
	e.ledger, e.set = e.openLedger(t, ctx, e.cfg.Topics.Suppressions)
	return e
}

// openLedger opens a consent ledger publishing on topic, and its set,
// following topic until the test ends.
func (e *consentEnv) openLedger(t *testing.T, ctx context.Context, topic string) (*consentlog.Ledger, *consentlog.Set) {
	t.Helper()
	tc := consentlog.TopicConfig{Brokers: e.cfg.Brokers, Topic: topic}
	if err := consentlog.EnsureTopic(ctx, tc, 2, 1); err != nil {
		t.Fatal(err)
	}
	l, err := consentlog.Open(ctx, e.url, e.hasher, tc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	set, err := l.NewSet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { set.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	return l, set
}

func (e *consentEnv) record(t *testing.T, ctx context.Context, tenant, number string, kind consent.Event, scope consent.Scope) {
	t.Helper()
	ev := consentlog.Event{Tenant: tenant, Number: number, Kind: kind, Scope: scope, Method: consentlog.MethodAPI}
	if _, _, _, err := e.ledger.Record(ctx, ev); err != nil {
		t.Fatal(err)
	}
}

// TestIntakeChecksSendersAndConsent: the intake applies the tenant's
// sender ids and the country rules, and the recipient's consent, from
// memory; refused items fail alone, with the rule named.
func TestIntakeChecksSendersAndConsent(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newConsentEnv(t, ctx)
	ts, err := tenants.Open(ctx, e.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	for _, id := range []string{"shop", "open"} {
		if _, err := ts.CreateTenant(ctx, tenants.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.SetSenders(ctx, "shop", []tenants.Sender{{ID: "+14155550100", Default: true}, {ID: "ACME"}}); err != nil {
		t.Fatal(err)
	}
	reg, err := tenants.NewRegistry(ctx, ts)
	if err != nil {
		t.Fatal(err)
	}
	in, err := NewIntake(e.cfg, testIssuer(t), e.store, WithSenders(reg), WithConsent(e.set))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	const stopped, joined, fresh = "+14155552671", "+14155552672", "+14155552673"
	e.record(t, ctx, "shop", stopped, consent.OptOut, consent.ScopeAll)
	e.record(t, ctx, "shop", joined, consent.OptIn, consent.ScopeMarketing)

	tests := []struct {
		name string
		req  Request
		want string // "" accepted; else the error's text starts so
		kind error
	}{
		{"default sender", Request{TenantID: "shop", To: fresh, Body: "hi"}, "", nil},
		{"own number", Request{TenantID: "shop", To: fresh, From: "14155550100", Body: "hi"}, "", nil},
		{"own alphanumeric id abroad", Request{TenantID: "shop", To: "+4915112345678", From: "ACME", Body: "hi"}, "", nil},
		{"own alphanumeric id to the US", Request{TenantID: "shop", To: fresh, From: "ACME", Body: "hi"},
			"from: alphanumeric sender ids are not allowed for US (numbers only)", sender.ErrNotAllowed},
		{"another tenant's id", Request{TenantID: "shop", To: fresh, From: "OTHER", Body: "hi"}, "from: not one of this tenant's sender ids", tenants.ErrNotOwned},
		{"no senders: any id abroad", Request{TenantID: "open", To: "+4915112345678", From: "Shop", Body: "hi"}, "", nil},
		{"no senders: still the country's rule", Request{TenantID: "open", To: fresh, From: "Shop", Body: "hi"},
			"from: alphanumeric sender ids are not allowed for US", sender.ErrNotAllowed},
		{"opted out", Request{TenantID: "shop", To: stopped, Body: "Your order shipped"}, "to: recipient opted out", consent.ErrOptedOut},
		{"opted out, OTP too", Request{TenantID: "shop", To: stopped, Body: "Code 1234", Category: core.CategoryOTP}, "to: recipient opted out", consent.ErrOptedOut},
		{"marketing without consent", Request{TenantID: "shop", To: fresh, Body: "Sale!", Category: core.CategoryMarketing},
			"to: no marketing consent", consent.ErrNoMarketingConsent},
		{"marketing with consent", Request{TenantID: "shop", To: joined, Body: "Sale!", Category: core.CategoryMarketing}, "", nil},
		{"tern's own STOP confirmation", Request{TenantID: "shop", To: stopped, From: "+14155550100", Body: "You are unsubscribed", Origin: consent.OriginPrefix + "stop"}, "", nil},
	}
	reqs := make([]Request, len(tests))
	for i, tt := range tests {
		reqs[i] = tt.req
	}
	out := make([]Result, len(reqs))
	if err := in.Send(ctx, reqs, out); err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		got := out[i].Err
		switch {
		case tt.want == "" && got != nil:
			t.Errorf("%s: refused: %v", tt.name, got)
		case tt.want != "" && (got == nil || !strings.HasPrefix(got.Error(), tt.want) || !errors.Is(got, tt.kind)):
			t.Errorf("%s: %v, want %q (%v)", tt.name, got, tt.want, tt.kind)
		}
	}
	var fe *FieldError
	if !errors.As(out[3].Err, &fe) || fe.Field != "from" {
		t.Errorf("sender refusal %T %v, want a *FieldError for from", out[3].Err, out[3].Err)
	}
}

// consentRulesOf are the actors' rules over a set, with fixed caps per
// tenant.
type consentRulesOf struct {
	*consentlog.Set
	caps map[string]consent.FrequencyCap
}

func (r consentRulesOf) ConsentKey(tenant, number string) []byte {
	k := r.Key(tenant, number)
	return k[:]
}

func (r consentRulesOf) FrequencyCap(tenant string) consent.FrequencyCap { return r.caps[tenant] }

// runConsumer runs a consumer with rules (and opts), the simulator and
// the scheduler until the test ends, and returns the simulator.
func (e *consentEnv) runConsumer(t *testing.T, ctx context.Context, rules ConsentRules, opts ...ConsumerOption) *smscsim.Server {
	t.Helper()
	log := testkit.Logger(t, slog.LevelWarn)
	sim, err := smscsim.New(smscsim.Config{Addr: "127.0.0.1:0", DeliveredRatio: 1, ReceiptDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	sink, err := NewReceiptSink(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	client, err := smpp.NewClient(smpp.ClientConfig{Name: "sim", Addr: sim.Addr(), SystemID: "tern", Password: "pw"},
		smpp.WithReceiptHandler(sink.Handle), smpp.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	ledger := NewLedger(e.store, nil)
	con, err := NewConsumer(e.cfg, OneCarrier{client}, ledger, append([]ConsumerOption{WithConsumerLogger(log), WithConsentRules(rules)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{ledger.Run, client.Run, con.Run,
		NewReceiptJoiner(e.cfg, e.store, nil, log).Run, NewScheduler(e.cfg, e.store, nil, log).Run} {
		wg.Go(func() { run(runCtx) })
	}
	t.Cleanup(func() { client.Close(context.Background()); stop(); wg.Wait() })
	return sim
}

func (e *consentEnv) send(t *testing.T, ctx context.Context, in *Intake, reqs ...Request) []Result {
	t.Helper()
	out := make([]Result, len(reqs))
	if err := in.Send(ctx, reqs, out); err != nil {
		t.Fatal(err)
	}
	for i, r := range out {
		if r.Err != nil {
			t.Fatalf("request %d refused: %v", i, r.Err)
		}
	}
	return out
}

func wantFinal(t *testing.T, final map[string]*recordv1.Event, id, what string, st core.Status, reason string) {
	t.Helper()
	if ev := final[id]; ev == nil || core.Status(ev.Status) != st || ev.Reason != reason {
		t.Errorf("%s: final event %v, want %v %q", what, ev, st, reason)
	}
}

// TestStopBeforeSubmitWins: messages accepted, or scheduled, before
// their recipient's STOP are refused right before their submit by the
// STOP PostgreSQL has committed, even on an instance whose suppression
// set has not heard of it (the delivery ledger's Begin reads the consent
// state in the statement recording the intent). They end FAILED "opted
// out" and never reach the carrier; tern's own STOP confirmation does.
func TestStopBeforeSubmitWins(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newConsentEnv(t, ctx)
	// The actors' set follows a topic of its own: it never hears of the
	// STOPs e.ledger records.
	_, deaf := e.openLedger(t, ctx, "tern.suppressions.elsewhere")
	in, err := NewIntake(e.cfg, testIssuer(t), e.store)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	const queued, scheduled = "+14155552681", "+14155552682"
	out := e.send(t, ctx, in,
		Request{TenantID: "shop", To: queued, Body: "Your order shipped"},
		Request{TenantID: "shop", To: scheduled, Body: "Your order arrives today", SendAt: time.Now().Add(3 * time.Second)},
		Request{TenantID: "shop", To: queued, Body: "You are unsubscribed", Origin: consent.OriginPrefix + "stop"})
	e.record(t, ctx, "shop", queued, consent.OptOut, consent.ScopeAll)
	e.record(t, ctx, "shop", scheduled, consent.OptOut, consent.ScopeAll)
	sim := e.runConsumer(t, ctx, consentRulesOf{Set: deaf})
	final := finalEvents(ctx, t, e.cfg, 3)
	wantFinal(t, final, out[0].ID, "queued before the STOP", core.StatusFailed, consent.ReasonOptedOut)
	wantFinal(t, final, out[1].ID, "scheduled before the STOP", core.StatusFailed, consent.ReasonOptedOut)
	wantFinal(t, final, out[2].ID, "STOP confirmation", core.StatusDelivered, "")
	for _, m := range [][2]string{{queued, "Your order shipped"}, {scheduled, "Your order arrives today"}} {
		if n := sim.Submits(m[0], m[1]); n != 0 {
			t.Errorf("%q submitted %d times after its recipient's STOP", m[1], n)
		}
	}
	if n := sim.Submits(queued, "You are unsubscribed"); n != 1 {
		t.Errorf("STOP confirmation submitted %d times, want 1", n)
	}
}

// TestFrequencyCap: marketing to one recipient beyond its tenant's cap
// ends FAILED "frequency cap", or with a cap that defers waits until the
// window lets it go; what the set knows is refused before any ledger
// write.
func TestFrequencyCap(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newConsentEnv(t, ctx)
	const capped, held, stopped = "+14155552691", "+14155552692", "+14155552693"
	e.record(t, ctx, "shop", capped, consent.OptIn, consent.ScopeMarketing)
	e.record(t, ctx, "hold", held, consent.OptIn, consent.ScopeMarketing)
	e.record(t, ctx, "shop", stopped, consent.OptIn, consent.ScopeMarketing)
	e.record(t, ctx, "shop", stopped, consent.OptOut, consent.ScopeAll)
	sim := e.runConsumer(t, ctx, consentRulesOf{Set: e.set, caps: map[string]consent.FrequencyCap{
		"shop": {Max: 2, Window: consent.Duration(time.Hour)},
		"hold": {Max: 1, Window: consent.Duration(3 * time.Second), Defer: true},
	}})
	in, err := NewIntake(e.cfg, testIssuer(t), e.store)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	mkt := func(tenant, to, body string) Request {
		return Request{TenantID: tenant, To: to, Body: body, Category: core.CategoryMarketing}
	}
	out := e.send(t, ctx, in, mkt("shop", capped, "Sale 1"), mkt("shop", capped, "Sale 2"), mkt("shop", capped, "Sale 3"),
		mkt("hold", held, "Drop 1"), mkt("hold", held, "Drop 2"), mkt("shop", stopped, "Sale to a STOP"))
	final := finalEvents(ctx, t, e.cfg, len(out))
	wantFinal(t, final, out[0].ID, "first under the cap", core.StatusDelivered, "")
	wantFinal(t, final, out[1].ID, "second under the cap", core.StatusDelivered, "")
	wantFinal(t, final, out[2].ID, "third over the cap", core.StatusFailed, consent.ReasonFrequencyCap)
	wantFinal(t, final, out[3].ID, "first of a deferring cap", core.StatusDelivered, "")
	wantFinal(t, final, out[4].ID, "second of a deferring cap, held", core.StatusDelivered, "")
	wantFinal(t, final, out[5].ID, "marketing to a STOP", core.StatusFailed, consent.ReasonOptedOut)
	if n := sim.Submits(capped, "Sale 3"); n != 0 {
		t.Errorf("message over the cap submitted %d times", n)
	}
	var first, second time.Time
	pool := e.store.Pool()
	if err := pool.QueryRow(ctx, `SELECT (SELECT intent_at FROM deliveries WHERE message_id = $1), (SELECT intent_at FROM deliveries WHERE message_id = $2)`,
		out[3].ID, out[4].ID).Scan(&first, &second); err != nil {
		t.Fatal(err)
	}
	if second.Before(first.Add(3 * time.Second)) {
		t.Errorf("held message's intent at %v, within the cap's window after the first's at %v", second, first)
	}
	var rows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE message_id = $1`, out[5].ID).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("message refused by the set left %d ledger rows (%v)", rows, err)
	}
}
