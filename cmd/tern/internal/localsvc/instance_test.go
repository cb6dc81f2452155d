package localsvc

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"
)

// While a server runs from a directory, a second start from it, or a
// devenv's StopStale, is refused with ErrInUse naming the tern that runs
// it; once stopped, the instance file is empty and the directory free.
func TestInstanceFileInUse(t *testing.T) {
	requireClickHouse(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "clickhouse")
	p, err := StartClickHouse(ctx, ClickHouseConfig{Dir: dir, TCPPort: freePort(t), HTTPPort: freePort(t)}, testkit.Logger(t, slog.LevelDebug))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(context.Background())
	b, err := os.ReadFile(filepath.Join(dir, InstanceFile))
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(string(b)); len(f) != 4 || f[0] != strconv.Itoa(p.Pid()) || f[3] != strconv.Itoa(os.Getpid()) {
		t.Fatalf("instance file %q, want server pid %d and owner %d", b, p.Pid(), os.Getpid())
	}
	_, err = StartClickHouse(ctx, ClickHouseConfig{Dir: dir, TCPPort: freePort(t), HTTPPort: freePort(t)}, testkit.Logger(t, slog.LevelDebug))
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Fatalf("second start = %v, want ErrInUse naming pid %d", err, os.Getpid())
	}
	if err := StopStale(ctx, dir, testkit.Logger(t, slog.LevelDebug)); !errors.Is(err, ErrInUse) {
		t.Fatalf("StopStale = %v, want ErrInUse", err)
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, InstanceFile)); err != nil || len(b) != 0 {
		t.Fatalf("instance file after Stop: %q, %v; want it empty", b, err)
	}
	if err := StopStale(ctx, dir, testkit.Logger(t, slog.LevelDebug)); err != nil {
		t.Fatalf("StopStale after Stop = %v", err)
	}
}
