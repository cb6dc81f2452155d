package localsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ternsms/tern/core/testkit"
)

func TestClickHouseConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   ClickHouseConfig
		ok   bool
	}{
		{"defaults", ClickHouseConfig{Dir: "data/clickhouse"}, true},
		{"ports", ClickHouseConfig{Dir: "d", TCPPort: 19000, HTTPPort: 18123}, true},
		{"no dir", ClickHouseConfig{}, false},
		{"tcp port out of range", ClickHouseConfig{Dir: "d", TCPPort: 70000}, false},
		{"negative http port", ClickHouseConfig{Dir: "d", HTTPPort: -1}, false},
		{"same ports", ClickHouseConfig{Dir: "d", TCPPort: 8123}, false},
		{"negative timeout", ClickHouseConfig{Dir: "d", StartTimeout: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if tt.ok && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestStartClickHouse(t *testing.T) {
	t.Parallel()
	requireClickHouse(t)
	ctx := t.Context()
	cfg := ClickHouseConfig{Dir: filepath.Join(t.TempDir(), "clickhouse"), TCPPort: freePort(t), HTTPPort: freePort(t)}
	p, err := StartClickHouse(ctx, cfg, testkit.Logger(t, slog.LevelDebug))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background()) })

	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{p.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	var one uint8
	err = conn.QueryRow(ctx, "SELECT 1").Scan(&one)
	conn.Close()
	if err != nil {
		t.Fatalf("SELECT 1 on %s: %v", p.Addr(), err)
	}
	if one != 1 {
		t.Fatalf("SELECT 1 = %d", one)
	}
	if err := pingClickHouseHTTP(ctx, p.HTTPAddr()); err != nil {
		t.Fatalf("http ping: %v", err)
	}

	// A second server on the same ports is refused before it starts.
	_, err = StartClickHouse(ctx, ClickHouseConfig{Dir: t.TempDir(), TCPPort: cfg.TCPPort, HTTPPort: cfg.HTTPPort}, testkit.Logger(t, slog.LevelDebug))
	if !errors.Is(err, ErrPortInUse) {
		t.Fatalf("second start = %v, want ErrPortInUse", err)
	}

	stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.Stop(stopCtx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := p.Stop(stopCtx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := syscall.Kill(p.Pid(), 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("process %d still exists after Stop (kill 0: %v)", p.Pid(), err)
	}
	if err := portFree(p.Addr()); err != nil {
		t.Fatalf("native port still taken after Stop: %v", err)
	}
}

func TestStartClickHouseMissingBinary(t *testing.T) {
	t.Parallel()
	cfg := ClickHouseConfig{Dir: t.TempDir(), Binary: filepath.Join(t.TempDir(), "no-such-clickhouse")}
	_, err := StartClickHouse(t.Context(), cfg, testkit.Logger(t, slog.LevelDebug))
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("err = %v, want ErrNotInstalled", err)
	}
	if !strings.Contains(err.Error(), "apt-get install clickhouse-server") {
		t.Fatalf("err = %q, want the package to install", err)
	}
}

// The failure paths run a stand-in executable: what is under test is the
// process handling, not ClickHouse.
func TestStartFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		want    error
		wantLog string
	}{
		{
			name:    "exits at once",
			script:  "echo 'Cannot lock file status' >&2; exit 76",
			timeout: 10 * time.Second,
			want:    ErrExited,
			wantLog: "Cannot lock file status",
		},
		{
			name:    "never answers",
			script:  "echo 'still starting' >&2; exec sleep 300",
			timeout: 500 * time.Millisecond,
			want:    ErrNotReady,
			wantLog: "still starting",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bin := filepath.Join(t.TempDir(), "fake-server")
			if err := os.WriteFile(bin, []byte("#!/bin/sh\n"+tt.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			var (
				p     *Process
				err   error
				start time.Time
			)
			// A parallel test may bind a port between freePort and the
			// start's own check of it; then ask for other ports.
			for range 5 {
				cfg := ClickHouseConfig{
					Dir: t.TempDir(), Binary: bin, StartTimeout: tt.timeout,
					TCPPort: freePort(t), HTTPPort: freePort(t),
				}
				start = time.Now()
				p, err = StartClickHouse(t.Context(), cfg, testkit.Logger(t, slog.LevelDebug))
				if !errors.Is(err, ErrPortInUse) {
					break
				}
			}
			if p != nil {
				t.Fatalf("got a process for a failed start")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantLog) {
				t.Fatalf("err = %q, want the log tail %q", err, tt.wantLog)
			}
			if d := time.Since(start); d > tt.timeout+5*time.Second {
				t.Fatalf("start took %s with a %s timeout", d, tt.timeout)
			}
		})
	}
}

func TestStopKillsOnDeadline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "stubborn")
	marker := filepath.Join(dir, "trapped")
	// Ignores SIGTERM, and says so once it does.
	script := "#!/bin/sh\ntrap '' TERM\ntouch " + marker + "\nwhile :; do sleep 1; done\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := startProcess(t.Context(), processSpec{
		name: "stubborn", path: bin, dir: dir, timeout: 10 * time.Second,
		ready: func(context.Context) error { _, err := os.Stat(marker); return err },
	}, testkit.Logger(t, slog.LevelDebug))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if err := p.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want DeadlineExceeded", err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("process not reaped after Stop")
	}
	// The whole group got the signal, including the shell's sleep child,
	// which its new parent reaps in its own time.
	testkit.Eventually(t, 5*time.Second, func() error {
		if err := syscall.Kill(-p.Pid(), 0); !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("process group %d still exists (kill 0: %v)", p.Pid(), err)
		}
		return nil
	})
}

// requireClickHouse skips, or fails under CI=true, when the server binary is
// not installed.
func requireClickHouse(t *testing.T) {
	t.Helper()
	if _, err := clickHouseBinary(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true needs ClickHouse: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	port, err := FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return port
}
