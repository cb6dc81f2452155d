package campaigns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/link"
	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/core/price"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/contacts"
	"github.com/ternsms/tern/pipeline/pgschema"
	"github.com/ternsms/tern/pipeline/templates"
	"github.com/ternsms/tern/pipeline/tenants"
)

// Intake queues messages; pipeline.Intake is one.
type Intake interface {
	Send(ctx context.Context, reqs []pipeline.Request, out []pipeline.Result) error
}

// Canceler withdraws a message no carrier has had yet; pipeline.Canceler
// is one.
type Canceler interface {
	Cancel(ctx context.Context, tenantID, id string, created time.Time) error
}

// Tenants serves tenants' consent policies (the opt-out footer) from
// memory; tenants.Registry is one.
type Tenants interface {
	Tenant(id string) (*tenants.View, bool)
}

// Config is how campaigns run. Zero fields take their defaults.
type Config struct {
	// LinkBase is where tracked links point, e.g.
	// "http://127.0.0.1:8080/l/"; empty sends URLs as written.
	LinkBase string
	// LinkSecret keys link codes; every instance must use the same.
	// Required with LinkBase.
	LinkSecret []byte
	// Step is the most contacts one expansion step sends (default 500).
	Step int
	// PollEvery is how often a Runner looks for work (default 1s).
	PollEvery time.Duration
	// Workers is how many campaigns an instance expands or withdraws at
	// once (default 4).
	Workers int
	// ShiftTables are the national language tables a tenant's messages
	// may use; nil allows none.
	ShiftTables func(tenant string) gsm.Languages
}

func (c Config) withDefaults() (Config, error) {
	if c.LinkBase != "" && len(c.LinkSecret) < 16 {
		return c, errors.New("campaigns: a link base needs a link secret of at least 16 bytes")
	}
	if c.Step <= 0 {
		c.Step = 500
	}
	c.Step = min(c.Step, pipeline.MaxBatch)
	if c.PollEvery <= 0 {
		c.PollEvery = time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	return c, nil
}

// Deps are the stores and services campaigns use.
type Deps struct {
	Contacts  *contacts.Store
	Templates *templates.Store
	Tenants   Tenants
	// Intake and Canceler are needed to run campaigns, not to store them.
	Intake   Intake
	Canceler Canceler
	// Prices prices estimates; nil leaves prices out.
	Prices *price.Table
	Phones *phone.Cache
	Log    *slog.Logger
}

// Store keeps campaigns in PostgreSQL. Every instance shares its tables.
// Safe for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	cfg   Config
	d     Deps
	coder *link.Coder
	now   func() time.Time
}

// Open connects to PostgreSQL at url and applies the migrations.
func Open(ctx context.Context, url string, cfg Config, d Deps) (*Store, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if d.Contacts == nil || d.Templates == nil {
		return nil, errors.New("campaigns: contacts and templates stores are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Phones == nil {
		d.Phones = phone.NewCache(100_000)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	err = pgschema.Migrate(ctx, pool, pgschema.Set{Name: "campaigns", Table: "campaigns_migrations", Steps: migrations, LockID: 0x636d7067}, d.Log) // "cmpg"
	if err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, cfg: cfg, d: d, now: time.Now}
	if cfg.LinkBase != "" {
		s.coder = link.NewCoder(cfg.LinkSecret)
	}
	return s, nil
}

// Close closes the connection pool.
func (s *Store) Close() { s.pool.Close() }

func (s *Store) coding(tenant string) gsm.Options {
	if s.cfg.ShiftTables == nil {
		return gsm.Options{}
	}
	return gsm.Options{Languages: s.cfg.ShiftTables(tenant)}
}
