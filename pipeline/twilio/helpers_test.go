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
	"sort"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
)

// env is the package's store on real PostgreSQL, with the pipeline's
// Intake on the in-process broker and tenant shop-1, whose default
// sender is +14155550100.
type env struct {
	store  *Store
	tokens Tokens
	intake *pipeline.Intake
	kafka  pipeline.KafkaConfig
	reg    *tenants.Registry
}

func newEnv(t *testing.T, ctx context.Context) *env {
	t.Helper()
	url := pgtest.URL(t)
	e := &env{tokens: NewTokens([]byte("twilio pipeline test secret"))}
	e.kafka = pipeline.KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 2}.WithDefaults()
	if err := pipeline.EnsureTopics(ctx, e.kafka); err != nil {
		t.Fatal(err)
	}
	ps, err := pipeline.OpenStore(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ps.Close)
	ids, err := msgid.NewIssuer([]byte("twilio-pipeline-test"))
	if err != nil {
		t.Fatal(err)
	}
	if e.intake, err = pipeline.NewIntake(e.kafka, ids, ps); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.intake.Close() })
	ts, err := tenants.Open(ctx, url, nil)
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
	if e.reg, err = tenants.NewRegistry(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if e.store, err = Open(ctx, url, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.store.Close)
	return e
}

// run starts f until the test ends.
func run(t *testing.T, ctx context.Context, f func(context.Context) error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { f(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// produce writes records to topic.
func produce(t *testing.T, ctx context.Context, brokers []string, topic string, msgs ...proto.Message) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, m := range msgs {
		v, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// signedPost is one request a receiver got, and whether its
// X-Twilio-Signature checked out.
type signedPost struct {
	form  url.Values
	valid bool
}

// receiver is a webhook receiver checking X-Twilio-Signature as Twilio
// documents it, written here on its own: HMAC-SHA1, keyed with the auth
// token, over the full URL followed by each POST parameter's name and
// value in the alphabetical order of the names, in base64.
type receiver struct {
	srv    *httptest.Server
	token  string
	mu     sync.Mutex
	posts  []signedPost
	answer func(n int) (int, string) // status and body of the n-th post (from 1)
}

func newReceiver(t *testing.T, token string, answer func(n int) (int, string)) *receiver {
	r := &receiver{token: token, answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		form, _ := url.ParseQuery(string(body))
		full := "http://" + req.Host + req.URL.RequestURI()
		r.mu.Lock()
		r.posts = append(r.posts, signedPost{form: form, valid: req.Header.Get("X-Twilio-Signature") == documentedSignature(r.token, full, form)})
		n := len(r.posts)
		r.mu.Unlock()
		status, text := 200, ""
		if r.answer != nil {
			status, text = r.answer(n)
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		io.WriteString(w, text)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []signedPost {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]signedPost(nil), r.posts...)
}

func documentedSignature(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	data := fullURL
	for _, k := range keys {
		data += k + form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(data))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
