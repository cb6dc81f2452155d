package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/campaigns"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/contacts"
	"github.com/ternsms/tern/pipeline/inbound"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/templates"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// campaignAPI is the API server with the contact book, templates,
// campaigns and links on real stores, a real broker and the real intake.
type campaignAPI struct {
	addr      string
	kafka     pipeline.KafkaConfig
	ledger    *consentlog.Ledger
	contacts  *contacts.Store
	templates *templates.Store
	campaigns *campaigns.Store
	links     http.Handler
	sent      *sentRecorder
}

const linkBase = "http://127.0.0.1:8080/l/"

func serveCampaignAPI(t testing.TB) campaignAPI {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := campaignAPI{}
	url := pgtest.URL(t)
	a.kafka = pipeline.KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 2}.WithDefaults()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(pipeline.EnsureTopics(ctx, a.kafka))
	must(campaigns.EnsureClickTopic(ctx, a.kafka, campaigns.DefaultClickTopic, 2, 1))
	topic := consentlog.TopicConfig{Brokers: a.kafka.Brokers, Topic: "tern.suppressions"}
	must(consentlog.EnsureTopic(ctx, topic, 2, 1))
	h := consentlog.NewHasher([]byte("api-campaign-test"))
	var err error
	a.ledger, err = consentlog.Open(ctx, url, h, topic)
	must(err)
	t.Cleanup(a.ledger.Close)
	a.contacts, err = contacts.Open(ctx, url, h, contacts.WithConsent(a.ledger))
	must(err)
	t.Cleanup(a.contacts.Close)
	a.templates, err = templates.Open(ctx, url, nil)
	must(err)
	t.Cleanup(a.templates.Close)
	replies, err := inbound.OpenStore(ctx, url, nil)
	must(err)
	t.Cleanup(replies.Close)
	pipe, err := pipeline.OpenStore(ctx, url, slog.New(slog.DiscardHandler))
	must(err)
	t.Cleanup(pipe.Close)
	ids, err := msgid.NewIssuer([]byte("api-campaign-test-key"))
	must(err)
	intake, err := pipeline.NewIntake(a.kafka, ids, pipe)
	must(err)
	t.Cleanup(func() { intake.Close() })
	a.campaigns, err = campaigns.Open(ctx, url, campaigns.Config{LinkBase: linkBase, LinkSecret: []byte("api-campaign-link-secret")},
		campaigns.Deps{Contacts: a.contacts, Templates: a.templates, Intake: intake, Canceler: pipeline.NewCanceler(pipe, 48*time.Hour)})
	must(err)
	t.Cleanup(a.campaigns.Close)
	clicks, err := campaigns.NewClicks(a.kafka, campaigns.DefaultClickTopic, nil)
	must(err)
	t.Cleanup(clicks.Close)
	a.links = NewLinkHandler(a.campaigns.NewLinks(10_000), clicks, slog.New(slog.DiscardHandler))
	a.sent = &sentRecorder{}
	a.addr = a.serve(t, replies)
	return a
}

// serve starts the server as tern serve does: Connect on net/http, gRPC
// on grpc-go, one port.
func (a campaignAPI) serve(t testing.TB, replies *inbound.Store) string {
	t.Helper()
	keys, err := NewKeyring(map[string][]string{"shop-1": {KeyHash(testKey)}})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	d := Deps{Keys: keys, Sender: a.sent, Reports: noReports{}, IDs: noReports{}, Log: log, Renderer: a.campaigns.NewRenderer(),
		Contacts: &ContactDeps{Writer: a.ledger, Reader: a.ledger, Replies: replies, Sender: &sentRecorder{}, Log: log,
			Book: a.contacts, Lists: a.contacts, Segments: a.contacts, Imports: a.contacts},
		Templates: &TemplateDeps{Templates: a.templates, Estimator: a.campaigns, Book: a.contacts, Log: log},
		Campaigns: &CampaignDeps{Campaigns: a.campaigns, Log: log},
		Links:     a.links,
	}
	h, err := NewHandler(d)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGRPCServer(d)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, WithGRPC(g))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return ln.Addr().String()
}

// withKey sends the test key with every call.
var withKey = connect.WithInterceptors(keyInterceptor{})

type keyInterceptor struct{}

func (keyInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", "Bearer "+testKey)
		return next(ctx, req)
	}
}

func (keyInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		conn.RequestHeader().Set("Authorization", "Bearer "+testKey)
		return conn
	}
}

func (keyInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// protocols are the ways a client reaches the contact service: gRPC on
// grpc-go, Connect over HTTP/2 on net/http, and Connect JSON over
// HTTP/1.1 (no client streaming there).
func (a campaignAPI) contactClients() map[string]ternv1connect.ContactServiceClient {
	url := "http://" + a.addr
	return map[string]ternv1connect.ContactServiceClient{
		"grpc":       ternv1connect.NewContactServiceClient(h2cClient(), url, connect.WithGRPC(), withKey),
		"connect h2": ternv1connect.NewContactServiceClient(h2cClient(), url, withKey),
		"json h1":    ternv1connect.NewContactServiceClient(&http.Client{}, url, connect.WithProtoJSON(), withKey),
	}
}
