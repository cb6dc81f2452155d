package pipeline

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/pipeline/pgtest"
)

// testStore opens a store on a fresh database.
func testStore(t testing.TB) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := OpenStore(ctx, pgtest.URL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 2 {
		s, err := OpenStore(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		var v int
		if err := s.pool.QueryRow(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v); err != nil || v != len(migrations)-1 {
			t.Fatalf("schema version %d, %v; want %d", v, err, len(migrations)-1)
		}
		s.Close()
	}
}

// The statements the pipeline runs for every message look rows up by
// index from a fresh database on, and keep doing so after the tables
// fill. Their plans are cached per connection: one made while the tables
// were empty that joins by hash over a sequential scan would read the
// whole table for every batch from then on.
func TestPlansKeepToIndexes(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	stmts := []struct {
		name, sql, args string
	}{
		{"ledger_begin", beginSQL, `'{m}', '{t}', '{c}', '{r}', '{US}', '{1}', '{0}', '{sim}', '{api}', '{7}'`},
		{"ledger_answer", answerSQL, `'{m}', '{2}', '{sim}', '{c1}', '{""}', '{sim}', '{c1}', '{m}', '{0}', '{""}'`},
		{"receipt_join", joinReceiptsSQL, `'{sim}', '{c1}'`},
		{"receipt_roll_up", rollUpSQL, `'{m}', '{"{1}"}', '{""}', '{t}', '{1}'`},
		{"receipt_claim", claimReceiptsSQL, `500`},
		{"receipt_claim_parked", claimParkedSQL, `500, now()`},
		{"sweep_candidates", sweepCandidatesSQL, `'-infinity', now(), 500`},
		{"sweep_lock", sweepLockSQL, `'{m}'`},
		{"prune_deliveries", pruneDeliveriesSQL, `'01Z', now(), 5000`},
		{"prune_receipts", pruneReceiptsSQL, `now(), 5000`},
		{"defer", deferSQL, `'{m}', '{r}', ARRAY[now()], '{send_at}', ARRAY['\x00'::bytea]`},
		{"cancel", cancelSQL, `'m', 't', 'canceled', false`},
		{"cancel_due_now", cancelDueNowSQL, `'m'`},
	}
	// Prepared and run on empty tables, as on a fresh database; PostgreSQL
	// decides at the sixth run whether to keep a generic plan.
	for _, st := range stmts {
		if _, err := conn.Exec(ctx, "PREPARE "+st.name+" AS "+st.sql); err != nil {
			t.Fatalf("prepare %s: %v", st.name, err)
		}
		for range 6 {
			if _, err := conn.Exec(ctx, "EXECUTE "+st.name+"("+st.args+")"); err != nil {
				t.Fatalf("execute %s: %v", st.name, err)
			}
		}
	}
	const n = 20_000
	for _, fill := range []string{
		`INSERT INTO deliveries (message_id, tenant_id, campaign_id, recipient, region, category, encoding, carrier, state)
		 SELECT 'fill-' || g, 't', 'c', 'r', 'US', 1, 0, 'sim', 2 FROM generate_series(1, $1) g`,
		`INSERT INTO carrier_message_ids (carrier, carrier_message_id, message_id, part)
		 SELECT 'sim', 'fill-' || g, 'fill-' || g, 0 FROM generate_series(1, $1) g`,
		`INSERT INTO unknown_receipts (carrier, carrier_message_id, status, state, error_code, joined_at)
		 SELECT 'sim', 'fill-' || g, 3, 'DELIVRD', '', now() FROM generate_series(1, $1) g`,
		`INSERT INTO unknown_receipts (carrier, carrier_message_id, status, state, error_code, parked_for, recheck_at)
		 SELECT 'sim', 'fill-' || g, 3, 'DELIVRD', '', 'parked-' || g, now() + interval '1 hour' FROM generate_series(1, $1) g`,
		`INSERT INTO schedules (message_id, recipient, due_at, reason, record)
		 SELECT 'fill-' || g, 'r', now() + interval '1 day', 'send_at', '\x00' FROM generate_series(1, $1) g`,
	} {
		if _, err := s.pool.Exec(ctx, fill, n); err != nil {
			t.Fatal(err)
		}
	}
	wholeTable := regexp.MustCompile(`Seq Scan on (deliveries|carrier_message_ids|unknown_receipts|schedules)|Hash Join|Merge Join`)
	for _, st := range stmts {
		rows, err := conn.Query(ctx, "EXPLAIN EXECUTE "+st.name+"("+st.args+")")
		if err != nil {
			t.Fatalf("explain %s: %v", st.name, err)
		}
		var plan strings.Builder
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&plan, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if m := wholeTable.FindString(plan.String()); m != "" {
			t.Errorf("%s with %d rows in the tables: %s in its plan\n%s", st.name, n, m, plan.String())
		}
	}
}
