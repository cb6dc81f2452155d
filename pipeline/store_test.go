package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/ternsms/tern/pipeline/pgtest"
)

// testStore opens a store on a fresh database.
func testStore(t *testing.T) *Store {
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
