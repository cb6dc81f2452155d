package pipeline

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/core/testkit"
)

// isolatedRig writes strings to a real PostgreSQL table that refuses some
// of them, and records what Isolated gives up.
type isolatedRig struct {
	mu    sync.Mutex
	given map[string]string // item -> reason
}

func (r *isolatedRig) isolated(pool *pgxpool.Pool, t *testing.T) Isolated[string] {
	return Isolated[string]{
		Write: func(ctx context.Context, items []string) error {
			_, err := pool.Exec(ctx, "INSERT INTO items (v) SELECT unnest($1::text[])", items)
			return err
		},
		DeadLetter: func(_ context.Context, it, reason string) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.given[it] = reason
			return nil
		},
		Log:  testkit.Logger(t, slog.LevelWarn),
		What: "items",
	}
}

// Isolated gives up an item at once when PostgreSQL refuses its data, and
// after IsolateTries when it refuses it for another reason while taking
// the others; an item refused with no other to show that the database
// takes anything, and a database that cannot be reached, give nothing up.
func TestIsolated(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, stmt := range []string{
		"CREATE TABLE items (v text NOT NULL CHECK (v <> 'checked'))",
		`CREATE FUNCTION refuse_other() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.v = 'other' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`,
		"CREATE TRIGGER refuse_other BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION refuse_other()",
	} {
		if _, err := s.pool.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	rig := &isolatedRig{given: map[string]string{}}
	b := rig.isolated(s.pool, t)
	if !b.Run(ctx, []string{"a", "nul\x00", "b", "other", "checked", "c"}) {
		t.Fatal("Run = false before ctx ended")
	}
	var got []string
	rows, err := s.pool.Query(ctx, "SELECT v FROM items ORDER BY v")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v string
		rows.Scan(&v)
		got = append(got, v)
	}
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("written %q, want a b c", got)
	}
	if len(rig.given) != 3 || rig.given["nul\x00"] == "" || rig.given["other"] == "" || rig.given["checked"] == "" {
		t.Fatalf("given up %q, want the NUL, the checked and the other", rig.given)
	}

	// Alone, "other" shows nothing about itself: it is retried until ctx ends.
	rig.given = map[string]string{}
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	defer cancelShort()
	if b.Run(short, []string{"other"}) || len(rig.given) != 0 {
		t.Fatalf("a lone item refused for no data reason was given up: %q", rig.given)
	}

	// PostgreSQL out of reach: nothing is given up, however long.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	gone, err := pgxpool.New(ctx, "postgres://tern@"+addr+"/tern?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	down := rig.isolated(gone, t)
	short, cancelShort = context.WithTimeout(ctx, 3*time.Second)
	defer cancelShort()
	if down.Run(short, []string{"a", "nul\x00", "b"}) || len(rig.given) != 0 {
		t.Fatalf("an outage gave items up: %q", rig.given)
	}
}
