package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Config configures an Outbox. Zero fields take their defaults.
type Config struct {
	Client ClientConfig
	// Workers bounds concurrent posts per endpoint. Default 32.
	Workers int
	// Batch is the most rows one claim takes. Default 128.
	Batch int
	// Lease is how long claimed rows are one instance's. Default 1m.
	Lease time.Duration
	// RetryBase is the first retry's wait; each next one doubles, up to
	// RetryMax, each with full jitter. Defaults 10s and 1h.
	RetryBase, RetryMax time.Duration
	// GiveUpAfter is how long after its event a delivery, and after its
	// first failure an endpoint, keeps being tried. Default 72h.
	GiveUpAfter time.Duration
	// MaxPending is the backlog of a healthy endpoint past which Emit
	// waits. Default 100,000.
	MaxPending int
	// Poll is how often an idle lane looks for due rows at first; it
	// backs off to 2s. Default 200ms.
	Poll time.Duration
	// KeepLog is how long delivered and failed rows and their attempts
	// are kept. Default 30 days.
	KeepLog time.Duration
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Lease, time.Minute)
	def(&c.RetryBase, 10*time.Second)
	def(&c.RetryMax, time.Hour)
	def(&c.GiveUpAfter, 72*time.Hour)
	def(&c.Poll, 200*time.Millisecond)
	def(&c.KeepLog, 30*24*time.Hour)
	if c.Workers <= 0 {
		c.Workers = 32
	}
	if c.Batch <= 0 {
		c.Batch = 128
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 100_000
	}
	return c
}

// Signer signs an ad-hoc post (Post) for the receiver's scheme, e.g.
// X-Twilio-Signature.
type Signer interface {
	Sign(header http.Header, url string, body []byte, now time.Time) error
}

// Outbox keeps endpoints and the outbox, and delivers. Every instance
// shares its tables. Safe for concurrent use.
type Outbox struct {
	cfg     Config
	pool    *pgxpool.Pool
	client  *Client
	signers map[string]Signer
	log     *slog.Logger
	now     func() time.Time

	snap    atomic.Pointer[snapshot]
	snapMu  sync.Mutex
	mu      sync.Mutex
	lanes   map[string]*lane // by endpoint id; "" the ad-hoc lane
	pending sync.Map         // endpoint id -> pendingCount
}

// Option configures an Outbox.
type Option interface{ apply(*Outbox) }

type optionFunc func(*Outbox)

func (f optionFunc) apply(o *Outbox) { f(o) }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(o *Outbox) { o.log = l }) }

// WithClock sets the clock, for tests.
func WithClock(now func() time.Time) Option { return optionFunc(func(o *Outbox) { o.now = now }) }

// WithSigner registers s for ad-hoc posts naming it.
func WithSigner(name string, s Signer) Option {
	return optionFunc(func(o *Outbox) { o.signers[name] = s })
}

// Open connects to PostgreSQL at url and applies the migrations.
func Open(ctx context.Context, url string, c Config, opts ...Option) (*Outbox, error) {
	o := &Outbox{cfg: c.withDefaults(), signers: map[string]Signer{}, log: slog.New(slog.DiscardHandler), now: time.Now,
		lanes: map[string]*lane{}}
	for _, opt := range opts {
		opt.apply(o)
	}
	if o.cfg.Client.Log == nil {
		o.cfg.Client.Log = o.log
	}
	o.client = NewClient(o.cfg.Client)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	cfg.MaxConns = max(cfg.MaxConns, 8)
	if o.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := o.migrate(ctx); err != nil {
		o.pool.Close()
		return nil, err
	}
	return o, nil
}

// Close closes the pool; stop Run first.
func (o *Outbox) Close() { o.pool.Close() }

// Client is the outbox's SSRF-safe HTTP client.
func (o *Outbox) Client() *Client { return o.client }
