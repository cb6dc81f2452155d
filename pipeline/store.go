package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/pipeline/pgschema"
)

// Store is the pipeline's PostgreSQL state: idempotency keys, the delivery
// ledger, the carrier-id map and receipts no message claimed. Every
// instance shares it.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

// OpenStore connects to PostgreSQL at url and applies the schema migrations.
func OpenStore(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	if cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	for k, v := range planSettings {
		if _, ok := cfg.ConnConfig.RuntimeParams[k]; !ok {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, log: log}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// planSettings are the planner settings of the store's connections.
//
// Every statement the pipeline runs often looks rows up by key, in
// batches of up to 500 keys: index lookups in a nested loop are its plan
// at any table size. With sequential scans, hash joins and merge joins
// off, no other plan is left to the planner, so each statement is planned
// once per connection, and the cached plan, made while a table may still
// be small, stays right as it fills. A statement with no index to use
// still gets its sequential scan. Why not plan each execution: see
// bench/history/end-to-end.md, the runs on generic plans.
var planSettings = map[string]string{
	"plan_cache_mode":  "force_generic_plan",
	"enable_seqscan":   "off",
	"enable_hashjoin":  "off",
	"enable_mergejoin": "off",
}

// Close closes the connection pool.
func (s *Store) Close() { s.pool.Close() }

// Pool exposes the connection pool to tests and tools in this module.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// migrations are applied in order, each in its own transaction, under an
// advisory lock so instances starting together do not race. Append only.
var migrations = []string{
	1: `
CREATE TABLE idempotency_keys (
	tenant_id   text        NOT NULL,
	key         text        NOT NULL,
	request_sha bytea       NOT NULL,
	message_id  text        NOT NULL,
	segments    int         NOT NULL,
	encoding    smallint    NOT NULL,
	queued      boolean     NOT NULL DEFAULT false,
	created_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- The delivery ledger: one row per message handed towards a carrier.
-- state 1 = submitting (intent recorded, no answer yet), 2 = accepted by
-- the carrier, 3 = refused or failed for good.
CREATE TABLE deliveries (
	message_id  text        PRIMARY KEY,
	tenant_id   text        NOT NULL,
	campaign_id text        NOT NULL,
	recipient   text        NOT NULL,
	region      text        NOT NULL,
	category    smallint    NOT NULL,
	encoding    smallint    NOT NULL,
	carrier     text        NOT NULL,
	state       smallint    NOT NULL,
	attempts    int         NOT NULL DEFAULT 1,
	in_doubt    int         NOT NULL DEFAULT 0,
	-- whether the latest Begin found the row submitting (in doubt), and
	-- the carrier that then had it
	begin_in_doubt boolean  NOT NULL DEFAULT false,
	doubt_carrier  text     NOT NULL DEFAULT '',
	carrier_ids text[]      NOT NULL DEFAULT '{}',
	part_status smallint[]  NOT NULL DEFAULT '{}',
	error_code  text        NOT NULL DEFAULT '',
	reason      text        NOT NULL DEFAULT '',
	done        boolean     NOT NULL DEFAULT false,
	intent_at   timestamptz NOT NULL DEFAULT now(),
	answered_at timestamptz
);
CREATE INDEX deliveries_in_doubt ON deliveries (message_id) WHERE in_doubt > 0;

-- The receipt join: a carrier's id for one part -> tern's message.
CREATE TABLE carrier_message_ids (
	carrier            text     NOT NULL,
	carrier_message_id text     NOT NULL,
	message_id         text     NOT NULL,
	part               smallint NOT NULL,
	PRIMARY KEY (carrier, carrier_message_id)
);

-- Receipts whose id matched no message when they arrived.
CREATE TABLE unknown_receipts (
	id                 bigserial   PRIMARY KEY,
	carrier            text        NOT NULL,
	carrier_message_id text        NOT NULL,
	status             smallint    NOT NULL,
	state              text        NOT NULL,
	error_code         text        NOT NULL,
	done_at            timestamptz,
	received_at        timestamptz NOT NULL DEFAULT now(),
	joined_at          timestamptz
);
CREATE INDEX unknown_receipts_pending ON unknown_receipts (received_at) WHERE joined_at IS NULL;
`,
	2: `
-- Messages waiting for their time: a requested send_at, the end of the
-- recipient's quiet hours, or a retry's backoff. The scheduler produces
-- each record back to the submit topic when it is due.
CREATE TABLE schedules (
	id         bigserial   PRIMARY KEY,
	message_id text        NOT NULL,
	recipient  text        NOT NULL,
	due_at     timestamptz NOT NULL,
	reason     text        NOT NULL,
	record     bytea       NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_due_at ON schedules (due_at);
`,
	3: `
-- The front door that took each message ("" API, "smpp/SYSTEM_ID").
ALTER TABLE deliveries ADD COLUMN origin text NOT NULL DEFAULT '';
`,
	4: `
-- A delivery row is inserted once and updated twice, by its answer and
-- its receipt. Pages filled only half by inserts keep room for those
-- updates, so they stay on the row's page and leave the primary key
-- alone (heap-only tuples). Only pages filled from now on are affected.
ALTER TABLE deliveries SET (fillfactor = 50);
`,
	5: `
-- Cancel finds a waiting message's schedule by its id.
CREATE INDEX schedules_message_id ON schedules (message_id);
`,
	6: `
-- The token of the attempt whose intent the row holds: a Begin made
-- again by the same attempt, after its reply was lost, is not in doubt.
-- 0 for rows written before.
ALTER TABLE deliveries ADD COLUMN intent bigint NOT NULL DEFAULT 0;
`,
	7: `
-- Carriers reuse message ids. receipt_received is when tern received the
-- receipt that last settled one of the message's parts (microseconds
-- since the epoch; -1 when the sweep for missing receipts ended it), so
-- that the same receipt read again is told from another receipt for a
-- reused id.
ALTER TABLE deliveries ADD COLUMN receipt_received bigint;
-- A receipt for a part that is already settled is parked against the
-- message it found, until its id maps to another message; recheck_at is
-- when to look again. Parked receipts are looked up by that time, the
-- others (whose id mapped to nothing) in the order they came.
ALTER TABLE unknown_receipts ADD COLUMN parked_for text, ADD COLUMN recheck_at timestamptz;
CREATE INDEX unknown_receipts_parked ON unknown_receipts (recheck_at) WHERE joined_at IS NULL AND parked_for IS NOT NULL;
CREATE INDEX unknown_receipts_waiting ON unknown_receipts (id) WHERE joined_at IS NULL AND parked_for IS NULL;
-- The sweep for messages that never got their receipt walks intents in
-- time order.
CREATE INDEX deliveries_intent_at ON deliveries (intent_at);
-- How far that sweep has come: intents before swept_to are settled.
CREATE TABLE receipt_sweep (
	id       boolean     PRIMARY KEY DEFAULT true CHECK (id),
	swept_to timestamptz NOT NULL
);
`,
}

func (s *Store) migrate(ctx context.Context) error {
	return pgschema.Migrate(ctx, s.pool, pgschema.Set{
		Name: "pipeline", Table: "schema_migrations", Steps: migrations, LockID: 0x7465726e, // "tern"
	}, s.log)
}

// Janitor deletes idempotency keys older than keep (at least 24h) every
// interval until ctx ends.
func (s *Store) Janitor(ctx context.Context, keep, interval time.Duration) error {
	keep = max(keep, 24*time.Hour)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		tag, err := s.pool.Exec(ctx, "DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval", keep)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("expire idempotency keys", "err", err)
		} else if n := tag.RowsAffected(); n > 0 {
			s.log.Info("idempotency keys expired", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
