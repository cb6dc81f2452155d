package consent

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/pipeline/pgschema"
)

// Migrate applies the ledger's schema to pool's database, as Open does,
// for a store whose queries read it (a contact's consent state, the
// consent_refusal function) and may start before any Ledger. Safe to run
// beside Open: the steps are applied once, under a lock.
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return pgschema.Migrate(ctx, pool, schema(), log)
}

// schema is the ledger's migration set.
func schema() pgschema.Set {
	return pgschema.Set{Name: "consent", Table: "consent_migrations", Steps: migrations, LockID: 0x636f6e73} // "cons"
}
