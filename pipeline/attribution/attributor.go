package attribution

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/pipeline/storeevents"
)

// Default windows, for a tenant that set none.
const (
	DefaultClickWindow   = 7 * 24 * time.Hour
	DefaultMessageWindow = 24 * time.Hour
	// MaxWindow bounds both; touches older than it are pruned.
	MaxWindow = 30 * 24 * time.Hour
)

// Click is one click of a tracked link, as the link service records
// it: who clicked (the phone the message went to), which message, and
// the campaign or flow it belonged to.
type Click struct {
	Tenant     string
	Phone      string
	MessageID  string
	CampaignID string
	// FlowID is set for a flow's message, e.g. "abandoned_checkout".
	FlowID string
	At     time.Time
}

// ClickDecoder reads one record of the clicks topic. The link service
// owns that record; its package provides the decoder.
type ClickDecoder func(r *kgo.Record) (Click, error)

// Config says where the streams are.
type Config struct {
	Brokers []string
	// Events is the message events topic. Default "tern.events".
	Events string
	// StoreEvents is the store events topic. Default
	// storeevents.DefaultTopic.
	StoreEvents string
	// Clicks is the clicks topic; "" reads none (clicks may still come
	// through RecordClick). It needs DecodeClick.
	Clicks      string
	DecodeClick ClickDecoder
	// Attributions is the topic written. Default "tern.attributions".
	Attributions string
	// Group is the consumer group. Default "tern-attribution".
	Group string
	// Grace is how long after it is noted an order is attributed.
	// Default 30s.
	Grace time.Duration
	// KafkaOpts add client options (pipeline.KafkaConfig.ClientOpts).
	KafkaOpts []kgo.Opt
}

// DefaultTopic is the attributions topic's default name.
const DefaultTopic = "tern.attributions"

func (c Config) withDefaults() Config {
	if c.Events == "" {
		c.Events = "tern.events"
	}
	if c.StoreEvents == "" {
		c.StoreEvents = storeevents.DefaultTopic
	}
	if c.Attributions == "" {
		c.Attributions = DefaultTopic
	}
	if c.Group == "" {
		c.Group = "tern-attribution"
	}
	if c.Grace <= 0 {
		c.Grace = 30 * time.Second
	}
	return c
}

// Attributor keeps touches and orders and attributes them. Every
// instance shares its tables. Safe for concurrent use.
type Attributor struct {
	cfg  Config
	pool *pgxpool.Pool
	pub  *kgo.Client
	log  *slog.Logger
	now  func() time.Time
}

// Option configures an Attributor.
type Option interface{ apply(*Attributor) }

type optionFunc func(*Attributor)

func (f optionFunc) apply(a *Attributor) { f(a) }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(a *Attributor) { a.log = l }) }

// WithClock sets the clock, for tests.
func WithClock(now func() time.Time) Option { return optionFunc(func(a *Attributor) { a.now = now }) }

// Open connects to PostgreSQL at url, applies the migrations and starts
// the producer of the attributions topic.
func Open(ctx context.Context, url string, c Config, opts ...Option) (*Attributor, error) {
	if len(c.Brokers) == 0 {
		return nil, errors.New("attribution: no kafka brokers")
	}
	if c.Clicks != "" && c.DecodeClick == nil {
		return nil, errors.New("attribution: a clicks topic needs its decoder")
	}
	a := &Attributor{cfg: c.withDefaults(), log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, o := range opts {
		o.apply(a)
	}
	var err error
	if a.pool, err = pgxpool.New(ctx, url); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := a.migrate(ctx); err != nil {
		a.pool.Close()
		return nil, err
	}
	a.pub, err = kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Brokers...), kgo.DefaultProduceTopic(a.cfg.Attributions),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordDeliveryTimeout(10 * time.Second)}, c.KafkaOpts...)...)
	if err != nil {
		a.pool.Close()
		return nil, fmt.Errorf("kafka producer for %s: %w", a.cfg.Attributions, err)
	}
	return a, nil
}

// Close closes the producer and the pool.
func (a *Attributor) Close() {
	a.pub.Close()
	a.pool.Close()
}

// ErrWindow: a window outside 1 minute to MaxWindow.
var ErrWindow = errors.New("attribution window: 1 minute to 30 days")

// SetWindows sets tenant's click and message windows.
func (a *Attributor) SetWindows(ctx context.Context, tenant string, click, message time.Duration) error {
	for _, w := range []time.Duration{click, message} {
		if w < time.Minute || w > MaxWindow {
			return ErrWindow
		}
	}
	_, err := a.pool.Exec(ctx, `INSERT INTO attribution_settings (tenant_id, click_window, message_window) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id) DO UPDATE SET click_window = $2, message_window = $3`, tenant, click, message)
	if err != nil {
		return fmt.Errorf("attribution windows: %w", err)
	}
	return nil
}

// Windows returns tenant's click and message windows.
func (a *Attributor) Windows(ctx context.Context, tenant string) (click, message time.Duration, err error) {
	err = a.pool.QueryRow(ctx, `SELECT click_window, message_window FROM attribution_settings WHERE tenant_id = $1`, tenant).Scan(&click, &message)
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultClickWindow, DefaultMessageWindow, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("attribution windows: %w", err)
	}
	return click, message, nil
}
