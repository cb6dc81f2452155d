package storeevents

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/pipeline/pgschema"
)

// migrations are the store events schema, with their own version table.
// Append only.
var migrations = []string{
	1: `
-- Each tenant's webhook signing secret per platform; previous_secret is
-- still accepted during a rotation.
CREATE TABLE store_secrets (
	tenant_id       text        NOT NULL,
	platform        text        NOT NULL,
	secret          text        NOT NULL,
	previous_secret text        NOT NULL DEFAULT '',
	updated_at      timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, platform)
);

-- Every store event id taken in; produced once the event is on Kafka.
-- A redelivery of a produced id does nothing. Pruned after a week.
CREATE TABLE store_event_ids (
	tenant_id  text        NOT NULL,
	event_id   text        NOT NULL,
	produced   boolean     NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX store_event_ids_created ON store_event_ids (created_at);
`,
}

func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	return pgschema.Migrate(ctx, pool, pgschema.Set{
		Name: "store events", Table: "storeevents_migrations", Steps: migrations, LockID: 0x73746576, // "stev"
	}, log)
}
