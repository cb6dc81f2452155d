package analytics

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// migration is one numbered schema change. Its statements name the
// database as {db}. They must be safe to run again (IF NOT EXISTS, inserts
// the queries tolerate twice), because two instances may open the same
// database at once and a migration may stop half way.
type migration struct {
	version int
	name    string
	// columns are added to their tables first, each unless present:
	// ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS.
	columns []column
	stmts   []string
}

// column is one column a migration adds to a table.
type column struct {
	table, name, def string // def: type and default, e.g. "String DEFAULT ''"
}

// latestKey orders a message's events: highest rank, then latest time to
// the nanosecond, then highest status. argMax over it is a message's latest
// state, whatever the order and number of times its events were inserted.
const latestKey = "tuple(status_rank, toUInt64(event_time) * 1000000000 + event_ns, status)"

// migrations are applied in order; append only, never edit one that shipped.
var migrations = []migration{
	{
		version: 1,
		name:    "events",
		stmts: []string{
			// One row per status event. Rows inserted twice (at-least-once
			// delivery) share their sorting key, so merges drop the copy;
			// queries never rely on that and dedupe themselves.
			`CREATE TABLE IF NOT EXISTS {db}.events (
				tenant_id          String,
				message_id         String,
				campaign_id        String,
				status             UInt8,
				status_rank        UInt8,
				event_time         DateTime,
				event_ns           UInt32,
				recipient          String,
				region             String,
				segments           UInt16,
				encoding           UInt8,
				category           UInt8,
				carrier            String,
				carrier_message_id String,
				error_code         String,
				reason             String,
				inserted_at        DateTime DEFAULT now()
			) ENGINE = ReplacingMergeTree(inserted_at)
			PARTITION BY toYYYYMM(event_time)
			ORDER BY (tenant_id, message_id, status, event_time, event_ns)`,
		},
	},
	{
		version: 2,
		name:    "campaign_messages",
		stmts: []string{
			// One row per campaign message once merged: its latest state and
			// segments as aggregate states, ordered so one campaign's
			// messages are one range of the table.
			`CREATE TABLE IF NOT EXISTS {db}.campaign_messages (
				tenant_id   String,
				campaign_id String,
				message_id  String,
				latest      AggregateFunction(argMax, UInt8, Tuple(UInt8, UInt64, UInt8)),
				segments    AggregateFunction(max, UInt16)
			) ENGINE = AggregatingMergeTree()
			ORDER BY (tenant_id, campaign_id, message_id)`,
			`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.campaign_messages_mv
			TO {db}.campaign_messages
			AS ` + campaignMessagesSelect,
			// Rows already in events when the view appeared. A row both the
			// view and this insert saw is counted once: argMax and max do
			// not change when a state is merged in twice.
			`INSERT INTO {db}.campaign_messages (tenant_id, campaign_id, message_id, latest, segments) ` +
				campaignMessagesSelect,
		},
	},
	{version: 3, name: "enriched events", columns: enrichedColumns, stmts: recipientIndex},
	{version: 4, name: "facts", stmts: factTables},
	{version: 5, name: "fact aggregates", stmts: factAggregates},
	{version: 6, name: "engagements", stmts: engagementTables},
	{version: 7, name: "hygiene", stmts: hygieneTables},
	{version: 8, name: "views", stmts: analystViews},
}

const campaignMessagesSelect = `SELECT
				tenant_id,
				campaign_id,
				message_id,
				argMaxState(status, ` + latestKey + `) AS latest,
				maxState(segments) AS segments
			FROM {db}.events
			WHERE campaign_id != ''
			GROUP BY tenant_id, campaign_id, message_id`

// migrate applies the migrations not yet recorded in schema_migrations.
func (s *Store) migrate(ctx context.Context) error {
	err := s.conn.Exec(ctx, s.sql(`CREATE TABLE IF NOT EXISTS {db}.schema_migrations (
		version    UInt32,
		name       String,
		applied_at DateTime
	) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`))
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if applied[m.version] {
			continue
		}
		if err := s.addColumns(ctx, m.columns); err != nil {
			return fmt.Errorf("migration %d %s: %w", m.version, m.name, err)
		}
		for i, stmt := range m.stmts {
			if err := s.conn.Exec(ctx, s.sql(stmt)); err != nil {
				return fmt.Errorf("migration %d %s, statement %d: %w", m.version, m.name, i+1, err)
			}
		}
		if err := s.record(ctx, m); err != nil {
			return fmt.Errorf("record migration %d %s: %w", m.version, m.name, err)
		}
		s.log.Info("applied clickhouse migration", "database", s.cfg.Database, "version", m.version, "name", m.name)
	}
	return nil
}

// record notes m as applied. It sends a batch: over the native protocol
// ClickHouse 18.16 waits for data blocks after an INSERT even when the
// statement carries VALUES.
func (s *Store) record(ctx context.Context, m migration) error {
	b, err := s.conn.PrepareBatch(ctx, s.sql("INSERT INTO {db}.schema_migrations (version, name, applied_at)"))
	if err != nil {
		return err
	}
	defer b.Abort() //nolint:errcheck // a no-op once sent
	if err := b.Append(uint32(m.version), m.name, time.Now().UTC()); err != nil {
		return err
	}
	return b.Send()
}

func (s *Store) appliedMigrations(ctx context.Context) (map[int]bool, error) {
	rows, err := s.conn.Query(ctx, s.sql("SELECT DISTINCT version FROM {db}.schema_migrations"))
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := make(map[int]bool)
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[int(v)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return applied, nil
}

// sql names the store's database in stmt.
func (s *Store) sql(stmt string) string {
	return strings.ReplaceAll(stmt, "{db}", s.db)
}

// addColumns adds each of cols its table lacks.
func (s *Store) addColumns(ctx context.Context, cols []column) error {
	for _, c := range cols {
		var n uint64
		err := s.conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?",
			s.cfg.Database, c.table, c.name).Scan(&n)
		if err != nil {
			return fmt.Errorf("look up column %s.%s: %w", c.table, c.name, err)
		}
		if n > 0 {
			continue
		}
		if err := s.conn.Exec(ctx, s.sql("ALTER TABLE {db}."+c.table+" ADD COLUMN "+c.name+" "+c.def)); err != nil {
			return fmt.Errorf("add column %s.%s: %w", c.table, c.name, err)
		}
	}
	return nil
}
