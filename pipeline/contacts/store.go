package contacts

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/core/phone"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/pgschema"
)

// Store is the contact book. Every instance shares its tables. Safe for
// concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	hash    *consentlog.Hasher
	phones  *phone.Cache
	consent ConsentRecorder
	log     *slog.Logger
}

// ConsentRecorder records an import's consent column in the ledger
// within the import's transaction; consent.Ledger is one.
type ConsentRecorder interface {
	RecordBatch(ctx context.Context, tx pgx.Tx, events []consentlog.Event) (*consentlog.Batch, error)
}

// Option configures a Store.
type Option interface{ apply(*Store) }

type optionFunc func(*Store)

func (f optionFunc) apply(s *Store) { f(s) }

// WithLogger sets the store's logger.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(s *Store) { s.log = l }) }

// WithConsent records imports' consent columns in r. Without it, an
// import whose file has a consent column is refused.
func WithConsent(r ConsentRecorder) Option { return optionFunc(func(s *Store) { s.consent = r }) }

// WithPhones parses numbers through c, shared with the rest of the
// instance. Default: a cache of the store's own.
func WithPhones(c *phone.Cache) Option { return optionFunc(func(s *Store) { s.phones = c }) }

// Open connects to PostgreSQL at url, applies the consent ledger's
// migrations (its tables are read here) and the store's own, and returns
// a Store keying numbers with h, the ledger's hasher.
func Open(ctx context.Context, url string, h *consentlog.Hasher, opts ...Option) (*Store, error) {
	s := &Store{hash: h, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o.apply(s)
	}
	if s.phones == nil {
		s.phones = phone.NewCache(100_000)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := consentlog.Migrate(ctx, s.pool, s.log); err != nil {
		s.pool.Close()
		return nil, err
	}
	err = pgschema.Migrate(ctx, s.pool, pgschema.Set{Name: "contacts", Table: "contacts_migrations", Steps: migrations, LockID: 0x636e7463}, s.log) // "cntc"
	if err != nil {
		s.pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connection pool.
func (s *Store) Close() { s.pool.Close() }
