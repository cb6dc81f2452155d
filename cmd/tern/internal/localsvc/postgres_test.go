package localsvc

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/testkit"
)

func requirePostgres(t *testing.T) {
	t.Helper()
	if _, err := postgresBinDir(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

func TestStartPostgres(t *testing.T) {
	requirePostgres(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	port, err := FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(searchableTempDir(t), "pg")
	cfg := PostgresConfig{Dir: dir, Port: port, Database: "shop"}
	for round := range 2 { // the second start reuses the initialized cluster
		p, err := StartPostgres(ctx, cfg, testkit.Logger(t, slog.LevelDebug))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		conn, err := pgx.Connect(ctx, p.URL())
		if err != nil {
			t.Fatal(err)
		}
		var db string
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil || db != "shop" {
			t.Fatalf("current_database = %q, %v", db, err)
		}
		conn.Close(ctx)
		if _, err := StartPostgres(ctx, cfg, testkit.Logger(t, slog.LevelDebug)); err == nil {
			t.Fatal("a second server started on the same port")
		}
		if err := p.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
	}
}

// searchableTempDir returns a temporary directory every user can reach, as
// the postgres user must when tests run as root.
func searchableTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
