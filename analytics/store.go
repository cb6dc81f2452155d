package analytics

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Store is tern's analytics database: it inserts event rows and answers the
// report queries. It is safe for concurrent use.
type Store struct {
	conn driver.Conn
	cfg  Config
	log  *slog.Logger
	db   string // quoted database name, spliced into statements
	// reads keeps the report queries within their share of conn.
	reads *readLimiter
}

// dialTimeout bounds connecting to one ClickHouse address.
const dialTimeout = 10 * time.Second

// Open connects to ClickHouse, creates the database when missing and
// applies the migrations it has not applied yet.
func Open(ctx context.Context, cfg Config, opts ...StoreOption) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	o := storeOptions{log: slog.Default()}
	for _, opt := range opts {
		opt.applyToStore(&o)
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: cfg.addrs(),
		// The database may not exist yet, so the session starts in the
		// server's default one and every statement names ours.
		Auth:        clickhouse.Auth{Username: cfg.Username, Password: cfg.Password},
		DialTimeout: dialTimeout,
		// Reports hold at most ReadConns of these (s.reads); the rest
		// are the writer's.
		MaxOpenConns: cfg.MaxConns,
		MaxIdleConns: cfg.MaxConns,
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: %w", cfg.Addr, err)
	}
	s := &Store{conn: conn, cfg: cfg, log: o.log, db: "`" + cfg.Database + "`", reads: newReadLimiter(cfg)}
	if err := s.init(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("clickhouse %s: %w", s.cfg.Addr, err)
	}
	if err := s.conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+s.db); err != nil {
		return fmt.Errorf("create database %s: %w", s.cfg.Database, err)
	}
	return s.migrate(ctx)
}

// Database is the name of the database holding tern's tables.
func (s *Store) Database() string { return s.cfg.Database }

// Close closes the connections.
func (s *Store) Close() error { return s.conn.Close() }
