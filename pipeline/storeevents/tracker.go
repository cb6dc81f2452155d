package storeevents

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/core/commerce"
)

// Config says where store events go.
type Config struct {
	Brokers []string
	// Topic is the store events topic. Default "tern.store-events".
	Topic string
	// KafkaOpts add client options (pipeline.KafkaConfig.ClientOpts, for
	// SASL and TLS).
	KafkaOpts []kgo.Opt
}

// DefaultTopic is the store events topic's default name.
const DefaultTopic = "tern.store-events"

// produceTimeout bounds the wait for Kafka's ack of a batch.
const produceTimeout = 4 * time.Second

// Tracker takes store events in. Every instance shares its tables.
// Safe for concurrent use.
type Tracker struct {
	pool  *pgxpool.Pool
	cl    *kgo.Client
	topic string
	log   *slog.Logger
	now   func() time.Time
}

// Option configures a Tracker.
type Option interface{ apply(*Tracker) }

type optionFunc func(*Tracker)

func (f optionFunc) apply(t *Tracker) { f(t) }

// WithLogger sets the tracker's logger.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(t *Tracker) { t.log = l }) }

// Open connects to PostgreSQL at url, applies the migrations and starts
// a producer to c's topic.
func Open(ctx context.Context, url string, c Config, opts ...Option) (*Tracker, error) {
	if len(c.Brokers) == 0 {
		return nil, fmt.Errorf("store events: no kafka brokers")
	}
	if c.Topic == "" {
		c.Topic = DefaultTopic
	}
	t := &Tracker{topic: c.Topic, log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, o := range opts {
		o.apply(t)
	}
	var err error
	if t.pool, err = pgxpool.New(ctx, url); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := migrate(ctx, t.pool, t.log); err != nil {
		t.pool.Close()
		return nil, err
	}
	t.cl, err = kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.DefaultProduceTopic(c.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(time.Millisecond),
		kgo.RecordDeliveryTimeout(produceTimeout),
	}, c.KafkaOpts...)...)
	if err != nil {
		t.pool.Close()
		return nil, fmt.Errorf("kafka producer for %s: %w", c.Topic, err)
	}
	return t, nil
}

// Close closes the producer and the connection pool.
func (t *Tracker) Close() {
	t.cl.Close()
	t.pool.Close()
}

// Result is the outcome of one event.
type Result struct {
	// ID is the event's id.
	ID string
	// Duplicate: the id was taken in before; nothing new was produced.
	Duplicate bool
	// Err is a *commerce.FieldError for a bad event, or wraps
	// ErrUnavailable when it could not be recorded (retry).
	Err error
}

// MaxBatch is the most events one Track call takes.
const MaxBatch = 500

// Track checks events (each must carry its Tenant), takes in each id
// once and produces the new ones, filling out (len(events) results).
// An event without an ID gets one ("api:" and random hex); an event's
// Result says whether it was produced. Track returns an error only when
// it could not try at all.
func (t *Tracker) Track(ctx context.Context, events []commerce.Event, out []Result) error {
	if len(out) != len(events) {
		return fmt.Errorf("track: %d results for %d events", len(out), len(events))
	}
	if len(events) > MaxBatch {
		return &commerce.FieldError{Field: "events", Reason: fmt.Sprintf("more than %d in one batch", MaxBatch)}
	}
	now := t.now()
	checked := make([]commerce.Event, len(events))
	var claim []int
	first := map[[2]string]bool{}
	for i, e := range events {
		if e.ID == "" {
			e.ID = "api:" + randomID()
		}
		c, err := e.Check(now)
		if err == nil && c.Tenant == "" {
			err = &commerce.FieldError{Field: "tenant", Reason: "required"}
		}
		if err != nil {
			out[i] = Result{ID: e.ID, Err: err}
			continue
		}
		checked[i], out[i] = c, Result{ID: c.ID}
		k := [2]string{c.Tenant, c.ID}
		if first[k] {
			out[i].Duplicate = true
			continue
		}
		first[k] = true
		claim = append(claim, i)
	}
	if len(claim) == 0 {
		return nil
	}
	fresh, err := t.claim(ctx, checked, claim)
	if err != nil {
		for _, i := range claim {
			out[i].Err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return nil
	}
	var send []int
	for _, i := range claim {
		if fresh[i] {
			send = append(send, i)
		} else {
			out[i].Duplicate = true
		}
	}
	t.produce(ctx, checked, send, now, out)
	return nil
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
