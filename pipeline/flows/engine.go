package flows

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/storeevents"
	"github.com/ternsms/tern/pipeline/tenants"
)

// Sender queues messages; the pipeline's Intake is one. A request's
// IdempotencyKey must make a repeat queue nothing new.
type Sender interface {
	Send(ctx context.Context, reqs []pipeline.Request, out []pipeline.Result) error
}

// Contacts finds the phone of a contact id, for events that name a
// contact instead of a phone; issue 29's contact store is to be one.
type Contacts interface {
	Phone(ctx context.Context, tenant, contactID string) (string, error)
}

// Tenants gives a tenant's name (shop_name) and default sender id;
// tenants.Registry is one.
type Tenants interface {
	Tenant(id string) (*tenants.View, bool)
}

// Config says where events come from and run ends go.
type Config struct {
	Brokers []string
	// StoreEvents is the topic read. Default storeevents.DefaultTopic.
	StoreEvents string
	// Group is the consumer group. Default "tern-flows".
	Group string
	// Runs is the topic of FlowRunEnded records. Default
	// "tern.flow-runs".
	Runs string
	// KafkaOpts add client options (pipeline.KafkaConfig.ClientOpts).
	KafkaOpts []kgo.Opt
	// Poll is how often due runs are looked for. Default 1s.
	Poll time.Duration
	// Lease is how long a claimed run is one instance's. Default 1m.
	Lease time.Duration
}

// DefaultRunsTopic is the flow runs topic's default name.
const DefaultRunsTopic = "tern.flow-runs"

func (c Config) withDefaults() Config {
	if c.StoreEvents == "" {
		c.StoreEvents = storeevents.DefaultTopic
	}
	if c.Group == "" {
		c.Group = "tern-flows"
	}
	if c.Runs == "" {
		c.Runs = DefaultRunsTopic
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Lease <= 0 {
		c.Lease = time.Minute
	}
	return c
}

// Engine starts, advances and ends flow runs. Every instance shares its
// tables. Safe for concurrent use.
type Engine struct {
	cfg       Config
	pool      *pgxpool.Pool
	pub       *kgo.Client
	send      Sender
	contacts  Contacts
	tenants   Tenants
	overrides map[[2]string]time.Duration
	log       *slog.Logger
	now       func() time.Time
	kick      chan struct{}
}

// Option configures an Engine.
type Option interface{ apply(*Engine) }

type optionFunc func(*Engine)

func (f optionFunc) apply(e *Engine) { f(e) }

// WithLogger sets the engine's logger.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(e *Engine) { e.log = l }) }

// WithContacts resolves events that name a contact instead of a phone.
func WithContacts(c Contacts) Option { return optionFunc(func(e *Engine) { e.contacts = c }) }

// WithTenants gives runs their tenant's name and default sender id.
func WithTenants(t Tenants) Option { return optionFunc(func(e *Engine) { e.tenants = t }) }

// WithDelay overrides, for every tenant, flow's wait step with a wait
// of d whatever the tenant set: the delay of a wait step, or in place of
// a wait-until step's time of day. It is an operator's setting for
// trying flows by hand and for tests (--flow-abandoned-cart-wait).
func WithDelay(flow, step string, d time.Duration) Option {
	return optionFunc(func(e *Engine) { e.overrides[[2]string{flow, step}] = d })
}

// WithClock sets the engine's clock, for tests.
func WithClock(now func() time.Time) Option { return optionFunc(func(e *Engine) { e.now = now }) }

// Open connects to PostgreSQL at url, applies the migrations and starts
// the producer of the runs topic. send queues the flows' messages.
func Open(ctx context.Context, url string, c Config, send Sender, opts ...Option) (*Engine, error) {
	if len(c.Brokers) == 0 {
		return nil, fmt.Errorf("flows: no kafka brokers")
	}
	e := &Engine{cfg: c.withDefaults(), send: send, overrides: map[[2]string]time.Duration{},
		log: slog.New(slog.DiscardHandler), now: time.Now, kick: make(chan struct{}, 1)}
	for _, o := range opts {
		o.apply(e)
	}
	var err error
	if e.pool, err = pgxpool.New(ctx, url); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := e.migrate(ctx); err != nil {
		e.pool.Close()
		return nil, err
	}
	e.pub, err = kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.DefaultProduceTopic(e.cfg.Runs),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordDeliveryTimeout(10 * time.Second),
	}, c.KafkaOpts...)...)
	if err != nil {
		e.pool.Close()
		return nil, fmt.Errorf("kafka producer for %s: %w", e.cfg.Runs, err)
	}
	return e, nil
}

// Close closes the producer and the connection pool.
func (e *Engine) Close() {
	e.pub.Close()
	e.pool.Close()
}

// wake has the scheduler look for due runs now.
func (e *Engine) wake() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}
