package twilio

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"sync"
	"testing"
	"time"

	twiliosdk "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
	twstore "github.com/ternsms/tern/pipeline/twilio"
	verifysvc "github.com/ternsms/tern/pipeline/verify"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// clock is the verification service's clock, moved by hand.
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

// env is the surface on real parts: PostgreSQL, the in-process broker,
// the pipeline's Intake and Canceler, the verification service; tenant
// shop-1 (sender +14155550100) has one account.
type env struct {
	srv     *httptest.Server
	kafka   pipeline.KafkaConfig
	store   *twstore.Store
	tokens  twstore.Tokens
	account twstore.Account
	token   string
	clock   *clock
}

func newEnv(t *testing.T, ctx context.Context) *env {
	t.Helper()
	pgURL := pgtest.URL(t)
	e := &env{tokens: twstore.NewTokens([]byte("api twilio test secret")), clock: &clock{t: time.Now().UTC().Truncate(time.Millisecond)}}
	e.kafka = pipeline.KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 2}.WithDefaults()
	if err := pipeline.EnsureTopics(ctx, e.kafka); err != nil {
		t.Fatal(err)
	}
	ps, err := pipeline.OpenStore(ctx, pgURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ps.Close)
	ids, err := msgid.NewIssuer([]byte("api-twilio-test-key"))
	if err != nil {
		t.Fatal(err)
	}
	intake, err := pipeline.NewIntake(e.kafka, ids, ps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { intake.Close() })
	reg := tenantRegistry(t, ctx, pgURL)
	if e.store, err = twstore.Open(ctx, pgURL, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.store.Close)
	if e.account, e.token, err = e.store.CreateAccount(ctx, e.tokens, "shop-1", "test", ""); err != nil {
		t.Fatal(err)
	}
	vstore, err := verifysvc.Open(ctx, pgURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vstore.Close)
	verifier, err := verifysvc.New(vstore, []byte("api twilio verify secret"), intake, reg, verifysvc.WithClock(e.clock.now))
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Deps{Accounts: e.store, Messages: e.store, Intake: intake, Callbacks: twstore.Outbox{},
		Cancels: pipeline.NewCanceler(ps, 7*24*time.Hour), IDs: ids, Verify: verifier})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

func tenantRegistry(t *testing.T, ctx context.Context, pgURL string) *tenants.Registry {
	t.Helper()
	ts, err := tenants.Open(ctx, pgURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Close)
	if _, err := ts.CreateTenant(ctx, tenants.Tenant{ID: "shop-1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.SetSenders(ctx, "shop-1", []tenants.Sender{{ID: "+14155550100", Default: true}}); err != nil {
		t.Fatal(err)
	}
	reg, err := tenants.NewRegistry(ctx, ts)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// rewrite sends the SDK's requests for api.twilio.com and
// verify.twilio.com to the test server.
type rewrite struct{ to *url.URL }

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	switch req.URL.Host {
	case "api.twilio.com", "verify.twilio.com":
		req.URL.Scheme, req.URL.Host, req.Host = r.to.Scheme, r.to.Host, r.to.Host
	}
	return http.DefaultTransport.RoundTrip(req)
}

// sdk returns the official SDK's client for sid and token, talking to
// the test server.
func (e *env) sdk(t *testing.T, sid, token string) *twiliosdk.RestClient {
	t.Helper()
	to, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &client.Client{Credentials: client.NewCredentials(sid, token), HTTPClient: &http.Client{Transport: rewrite{to}, Timeout: 30 * time.Second}}
	c.SetAccountSid(sid)
	return twiliosdk.NewRestClientWithParams(twiliosdk.ClientParams{Client: c})
}

// code returns the code in the last message sent for verification id.
func (e *env) code(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka.Brokers...), kgo.ConsumeTopics(e.kafka.Topics.OTP),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	code := ""
	for {
		pctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			s := &recordv1.Submit{}
			if proto.Unmarshal(r.Value, s) == nil && s.Origin == verifysvc.OriginPrefix+id {
				code = regexp.MustCompile(`\b\d{4,10}\b`).FindString(s.Body)
			}
		})
		if n == 0 {
			break
		}
	}
	if code == "" {
		t.Fatalf("no message for %s", id)
	}
	return code
}

// receiver records status callbacks, checking X-Twilio-Signature as
// Twilio documents it, written here on its own: HMAC-SHA1 keyed with
// the auth token over the full URL followed by every POST parameter's
// name and value, names sorted, in base64.
type receiver struct {
	srv   *httptest.Server
	token string
	mu    sync.Mutex
	got   []url.Values
	bad   int
}

func newReceiver(t *testing.T, token string) *receiver {
	r := &receiver{token: token}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		form, _ := url.ParseQuery(string(body))
		keys := make([]string, 0, len(form))
		for k := range form {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		data := "http://" + req.Host + req.URL.RequestURI()
		for _, k := range keys {
			data += k + form.Get(k)
		}
		mac := hmac.New(sha1.New, []byte(r.token))
		mac.Write([]byte(data))
		ok := hmac.Equal([]byte(req.Header.Get("X-Twilio-Signature")), []byte(base64.StdEncoding.EncodeToString(mac.Sum(nil))))
		r.mu.Lock()
		defer r.mu.Unlock()
		if !ok {
			r.bad++
			w.WriteHeader(http.StatusForbidden)
			return
		}
		r.got = append(r.got, form)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) statuses() ([]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, f := range r.got {
		out = append(out, f.Get("MessageStatus"))
	}
	return out, r.bad
}

// run starts f until the test ends.
func run(t *testing.T, ctx context.Context, f func(context.Context) error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { f(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}
