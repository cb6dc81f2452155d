package localsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"
)

// A tern that died without stopping its ClickHouse (before servers died
// with their tern, a SIGKILL did that) left it running on the ports the
// next start wants. The next start finds it through the directory's
// server.pid, checks that the pid is still that server, stops it and
// starts. A pid the file names that now belongs to another process is left
// alone.
func TestStartStopsStaleServer(t *testing.T) {
	requireClickHouse(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "clickhouse")
	// A first start writes the configuration the orphan runs with.
	cfg, p := startOnFreePorts(ctx, t, dir)
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	bin, err := clickHouseBinary("")
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := "127.0.0.1:" + strconv.Itoa(cfg.HTTPPort)

	tests := []struct {
		name string
		// run starts the process the instance file names and returns a
		// start time to record for it; 0 leaves server.pid empty.
		run        func(t *testing.T) (*detached, uint64)
		wantKilled bool
	}{
		{"the orphaned server", func(t *testing.T) (*detached, uint64) {
			d := startDetached(t, bin, "--config-file="+filepath.Join(dir, "config.xml"))
			testkit.Eventually(t, time.Minute, func() error { return pingClickHouseHTTP(ctx, httpAddr) })
			return d, procStartTime(t, d.pid)
		}, true},
		{"the orphaned server, no server.pid: its own status file", func(t *testing.T) (*detached, uint64) {
			d := startDetached(t, bin, "--config-file="+filepath.Join(dir, "config.xml"))
			testkit.Eventually(t, time.Minute, func() error { return pingClickHouseHTTP(ctx, httpAddr) })
			return d, 0
		}, true},
		{"the pid now another program's", func(t *testing.T) (*detached, uint64) {
			d := startDetached(t, "sleep", "300")
			return d, procStartTime(t, d.pid)
		}, false},
		{"the pid and command line, but another start time", func(t *testing.T) (*detached, uint64) {
			d := startDetached(t, "sh", "-c", "sleep 300", "sh", filepath.Join(dir, "config.xml"))
			return d, procStartTime(t, d.pid) + 1
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, start := tt.run(t)
			record := fmt.Sprintf("%d %d %d %d\n", d.pid, start, int(syscall.SIGTERM), deadPid(t))
			if start == 0 {
				record = "" // as a tern from before server.pid left it
			}
			if err := os.WriteFile(filepath.Join(dir, "server.pid"), []byte(record), 0o600); err != nil {
				t.Fatal(err)
			}
			p, err := StartClickHouse(ctx, cfg, testkit.Logger(t, slog.LevelDebug))
			if err != nil {
				t.Fatalf("start with %s left running: %v", tt.name, err)
			}
			defer p.Stop(context.Background())
			if err := pingClickHouseHTTP(ctx, p.HTTPAddr()); err != nil {
				t.Fatal(err)
			}
			if !tt.wantKilled {
				select {
				case <-d.exited:
					t.Fatalf("%s (pid %d) was stopped", tt.name, d.pid)
				default:
				}
				return
			}
			// The start saw it end; its parent here reaps it soon after.
			select {
			case <-d.exited:
			case <-time.After(30 * time.Second):
				t.Fatalf("%s (pid %d) still runs", tt.name, d.pid)
			}
		})
	}
}

// startOnFreePorts starts ClickHouse from dir on free ports. A parallel
// test may bind a port between freePort and the start's own check of it;
// then it asks for other ports.
func startOnFreePorts(ctx context.Context, t *testing.T, dir string) (ClickHouseConfig, *Process) {
	t.Helper()
	for range 5 {
		cfg := ClickHouseConfig{Dir: dir, TCPPort: freePort(t), HTTPPort: freePort(t)}
		p, err := StartClickHouse(ctx, cfg, testkit.Logger(t, slog.LevelDebug))
		if err == nil {
			return cfg, p
		}
		if !errors.Is(err, ErrPortInUse) {
			t.Fatal(err)
		}
	}
	t.Fatal("no free ports in 5 tries")
	return ClickHouseConfig{}, nil
}

// detached is a process started by startDetached; exited is closed once
// it has been reaped.
type detached struct {
	pid    int
	exited chan struct{}
}

// startDetached starts a process in its own process group, as tern starts
// servers, and kills it, and waits for its end, when the test ends.
func startDetached(t *testing.T, name string, args ...string) *detached {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &detached{pid: cmd.Process.Pid, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		syscall.Kill(-d.pid, syscall.SIGKILL)
		<-d.exited
	})
	return d
}

// procStartTime reads a process's start time, field 22 of /proc/PID/stat.
func procStartTime(t *testing.T, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return start
}

// deadPid is the pid of a process that has ended: a tern that is gone.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("pid %d of an ended process still signals: %v", cmd.Process.Pid, err)
	}
	return cmd.Process.Pid
}
