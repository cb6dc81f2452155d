package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ternsms/tern/analytics"
)

// AddrEnv names the environment variable holding the server's native
// host:port.
const AddrEnv = "TERN_CLICKHOUSE_ADDR"

// Addr returns the ClickHouse address tests use, skipping the test (or
// failing it under CI=true) when none is set.
func Addr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv(AddrEnv)
	if addr == "" {
		msg := AddrEnv + " is not set: run `make test`, which starts ClickHouse, " +
			"or point " + AddrEnv + " at a server's native port (host:9000)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return addr
}

// Config returns a config for a fresh database, dropped when the test ends
// unless the test failed (then its name is logged for a look).
func Config(t testing.TB) analytics.Config {
	t.Helper()
	addr := Addr(t)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	db := "tern_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept clickhouse database %s on %s", db, addr)
			return
		}
		drop(t, addr, db)
	})
	// Flushing fast keeps tests that wait for the writer quick.
	return analytics.Config{Addr: addr, Database: db, FlushInterval: 20 * time.Millisecond}
}

// Store opens a store on a fresh database, closed and dropped when the test
// ends.
func Store(t testing.TB, opts ...analytics.StoreOption) *analytics.Store {
	t.Helper()
	cfg := Config(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := analytics.Open(ctx, cfg, append([]analytics.StoreOption{analytics.WithLogger(Logger(t))}, opts...)...)
	if err != nil {
		t.Fatalf("open clickhouse store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Logger writes to the test's output.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func drop(t testing.TB, addr, db string) {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}})
	if err != nil {
		t.Errorf("drop %s: %v", db, err)
		return
	}
	defer conn.Close()
	// A database a long run filled (make soak) takes the server a while to
	// drop: the drop gets far longer than a test's database needs.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS `"+db+"`"); err != nil {
		t.Errorf("drop %s after %v: %v", db, time.Since(start).Round(time.Millisecond), err)
		return
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Logf("dropping %s took %v", db, d.Round(time.Millisecond))
	}
}
