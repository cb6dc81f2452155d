package gateway

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the gateway's PostgreSQL state: accounts, the shared bind
// table, the receipt join and the outbox of receipts and replies. Every
// instance shares it.
type Store struct {
	url  string
	pool *pgxpool.Pool
	log  *slog.Logger
	// iterations is the work factor of the password hashes it writes,
	// and the one older hashes are upgraded to.
	iterations int
}

// OpenStore connects to PostgreSQL at url and applies the gateway's
// migrations. A nil log discards.
func OpenStore(ctx context.Context, url string, log *slog.Logger, opts ...StoreOption) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{url: url, log: log, iterations: DefaultPasswordIterations}
	for _, o := range opts {
		o.applyStore(s)
	}
	if s.iterations < MinPasswordIterations || s.iterations > maxPasswordIterations {
		return nil, fmt.Errorf("smpp gateway store: password iterations %d: want %d to %d",
			s.iterations, MinPasswordIterations, maxPasswordIterations)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s.pool = pool
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connection pool.
func (s *Store) Close() { s.pool.Close() }
