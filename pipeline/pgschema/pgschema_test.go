package pgschema_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/pipeline/pgschema"
	"github.com/ternsms/tern/pipeline/pgtest"
)

func TestMigrate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	set := pgschema.Set{Name: "test", Table: "test_migrations", Steps: []string{
		1: `CREATE TABLE a (x int)`,
	}}
	if err := pgschema.Migrate(ctx, pool, set, nil); err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	// Again with one more step: only the new step runs (a rerun of step 1
	// would fail, the table exists).
	set.Steps = append(set.Steps, `ALTER TABLE a ADD COLUMN y int`)
	if err := pgschema.Migrate(ctx, pool, set, nil); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM test_migrations").Scan(&n); err != nil || n != 2 {
		t.Fatalf("versions recorded: %d, %v; want 2", n, err)
	}
	// A failing step leaves its version unrecorded and says which it was.
	set.Steps = append(set.Steps, `ALTER TABLE nope ADD COLUMN z int`)
	if err := pgschema.Migrate(ctx, pool, set, nil); err == nil {
		t.Fatal("a failing step: no error")
	}
	if err := pool.QueryRow(ctx, "SELECT max(version) FROM test_migrations").Scan(&n); err != nil || n != 2 {
		t.Fatalf("after a failing step: version %d, %v; want 2", n, err)
	}
}
