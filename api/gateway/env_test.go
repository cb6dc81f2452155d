package gateway

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// testIDKey is the message id key of the env's intake.
const testIDKey = "gateway-test-key-0123"

// env is a gateway on a fresh PostgreSQL database and the in-process
// Kafka broker, taking messages through the pipeline's real intake.
// Final events and replies are produced to the topics by the test, as
// the pipeline would.
type env struct {
	t      *testing.T
	url    string
	kafka  pipeline.KafkaConfig
	store  *Store
	intake *pipeline.Intake
	logs   *syncBuffer
	reg    *prometheus.Registry
	events *kafka.Writer
	mo     *kafka.Writer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, url: pgtest.URL(t), logs: &syncBuffer{}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e.kafka = pipeline.KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 4}.WithDefaults()
	if err := pipeline.EnsureTopics(ctx, e.kafka); err != nil {
		t.Fatal(err)
	}
	// Binds cost little in tests; TestPasswordUpgrade binds at the default.
	store, err := OpenStore(ctx, e.url, nil, WithPasswordIterations(MinPasswordIterations))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	e.store = store
	ids, err := msgid.NewIssuer([]byte(testIDKey))
	if err != nil {
		t.Fatal(err)
	}
	if e.intake, err = pipeline.NewIntake(e.kafka, ids, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.intake.Close() })
	e.events = &kafka.Writer{Addr: kafka.TCP(e.kafka.Brokers...), Topic: e.kafka.Topics.Events, BatchTimeout: time.Millisecond}
	e.mo = &kafka.Writer{Addr: kafka.TCP(e.kafka.Brokers...), Topic: e.kafka.Topics.MO, BatchTimeout: time.Millisecond}
	t.Cleanup(func() { e.events.Close(); e.mo.Close() })
	return e
}

// config is a gateway config for tests: short timers.
func (e *env) config() Config {
	return Config{
		Addr:            "127.0.0.1:0",
		Kafka:           e.kafka,
		BindTimeout:     2 * time.Second,
		PollInterval:    200 * time.Millisecond,
		Heartbeat:       200 * time.Millisecond,
		JanitorInterval: 100 * time.Millisecond,
		RetryDelay:      100 * time.Millisecond,
		RequestTimeout:  2 * time.Second,
		Lease:           5 * time.Second,
		// Refused binds do not hold up the next ones, except in
		// TestBindBackoff.
		BindBackoff:    time.Nanosecond,
		MaxBindBackoff: time.Nanosecond,
	}
}

// start starts a gateway with cfg; it is closed when the test ends.
func (e *env) start(cfg Config, opts ...Option) *Server {
	e.t.Helper()
	var out io.Writer = e.logs
	if testing.Verbose() {
		out = io.MultiWriter(e.logs, os.Stderr)
	}
	e.reg = prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := New(cfg, e.store, e.intake, append([]Option{WithLogger(log), WithRegisterer(e.reg)}, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			e.t.Errorf("close: %v", err)
		}
	})
	return srv
}

// account creates an account with password "secret" and returns it.
func (e *env) account(a Account) Account {
	e.t.Helper()
	if a.TenantID == "" {
		a.TenantID = "shop"
	}
	if err := e.store.AddAccount(context.Background(), a, "secret"); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// final produces a final event for a gateway message, as the pipeline
// does when its receipt is joined.
func (e *env) final(systemID, id string, st core.Status, errCode string) {
	e.t.Helper()
	ev := &recordv1.Event{MessageId: id, TenantId: "shop", Status: ternv1.Status(st), Time: timestamppb.Now(),
		ErrorCode: errCode, Origin: "smpp/" + systemID}
	v, err := proto.Marshal(ev)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.events.WriteMessages(context.Background(), kafka.Message{Key: []byte(id), Value: v}); err != nil {
		e.t.Fatal(err)
	}
}

// reply produces a customer's reply, as a carrier's deliver_sm becomes.
func (e *env) reply(from, to, text string) {
	e.t.Helper()
	v, err := proto.Marshal(&recordv1.Inbound{Carrier: "sim", From: from, To: to, Text: text, ReceivedAt: timestamppb.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.mo.WriteMessages(context.Background(), kafka.Message{Key: []byte(from), Value: v}); err != nil {
		e.t.Fatal(err)
	}
}

// submitted reads the records of the submit topics, both lanes.
func (e *env) submitted(n int) []*recordv1.Submit {
	e.t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: e.kafka.Brokers, GroupID: "test-" + e.t.Name(),
		GroupTopics: []string{e.kafka.Topics.Submit, e.kafka.Topics.OTP, e.kafka.Topics.Marketing}, StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*recordv1.Submit
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			e.t.Fatalf("read submit topic (%d of %d): %v", len(out), n, err)
		}
		rec := &recordv1.Submit{}
		if err := proto.Unmarshal(m.Value, rec); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}
