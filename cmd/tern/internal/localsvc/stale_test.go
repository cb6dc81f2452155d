package localsvc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
	// A first start writes the configuration the orphan runs with. A
	// parallel test may bind a port between freePort and the start's own
	// check of it; then ask for other ports.
	var (
		cfg ClickHouseConfig
		p   *Process
		err error
	)
	for range 5 {
		cfg = ClickHouseConfig{Dir: dir, TCPPort: freePort(t), HTTPPort: freePort(t)}
		if p, err = StartClickHouse(ctx, cfg, testLogger(t)); !errors.Is(err, ErrPortInUse) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
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
		run        func(t *testing.T) (*exec.Cmd, uint64)
		wantKilled bool
	}{
		{"the orphaned server", func(t *testing.T) (*exec.Cmd, uint64) {
			cmd := startDetached(t, bin, "--config-file="+filepath.Join(dir, "config.xml"))
			eventually(t, time.Minute, func() error { return pingClickHouseHTTP(ctx, httpAddr) })
			return cmd, procStartTime(t, cmd.Process.Pid)
		}, true},
		{"the orphaned server, no server.pid: its own status file", func(t *testing.T) (*exec.Cmd, uint64) {
			cmd := startDetached(t, bin, "--config-file="+filepath.Join(dir, "config.xml"))
			eventually(t, time.Minute, func() error { return pingClickHouseHTTP(ctx, httpAddr) })
			return cmd, 0
		}, true},
		{"the pid now another program's", func(t *testing.T) (*exec.Cmd, uint64) {
			cmd := startDetached(t, "sleep", "300")
			return cmd, procStartTime(t, cmd.Process.Pid)
		}, false},
		{"the pid and command line, but another start time", func(t *testing.T) (*exec.Cmd, uint64) {
			cmd := startDetached(t, "sh", "-c", "sleep 300", "sh", filepath.Join(dir, "config.xml"))
			return cmd, procStartTime(t, cmd.Process.Pid) + 1
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, start := tt.run(t)
			exited := make(chan struct{})
			go func() { cmd.Wait(); close(exited) }()
			record := fmt.Sprintf("%d %d %d %d\n", cmd.Process.Pid, start, int(syscall.SIGTERM), deadPid(t))
			if start == 0 {
				record = "" // as a tern from before server.pid left it
			}
			if err := os.WriteFile(filepath.Join(dir, "server.pid"), []byte(record), 0o600); err != nil {
				t.Fatal(err)
			}
			p, err := StartClickHouse(ctx, cfg, testLogger(t))
			if err != nil {
				t.Fatalf("start with %s left running: %v", tt.name, err)
			}
			defer p.Stop(context.Background())
			if err := pingClickHouseHTTP(ctx, p.HTTPAddr()); err != nil {
				t.Fatal(err)
			}
			if !tt.wantKilled {
				select {
				case <-exited:
					t.Fatalf("%s (pid %d) was stopped", tt.name, cmd.Process.Pid)
				default:
				}
				return
			}
			// The start saw it end; its parent here reaps it soon after.
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				t.Fatalf("%s (pid %d) still runs", tt.name, cmd.Process.Pid)
			}
		})
	}
}

// startDetached starts a process in its own process group, as tern starts
// servers, and kills it when the test ends.
func startDetached(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	return cmd
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

// A PostgreSQL a tern from before server.pid left running is found
// through its postmaster.pid and stopped, its own processes with it.
func TestStartStopsStalePostgres(t *testing.T) {
	requirePostgres(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(searchableTempDir(t), "pg")
	cfg := PostgresConfig{Dir: dir, Port: freePort(t)}
	p, err := StartPostgres(ctx, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	bin, err := postgresBinDir("")
	if err != nil {
		t.Fatal(err)
	}
	cred, err := postgresCredential()
	if err != nil {
		t.Fatal(err)
	}
	orphan := exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(dir, "pgdata"),
		"-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(cfg.Port), "-c", "unix_socket_directories="+filepath.Join(dir, "run"))
	orphan.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(orphan.Process.Pid, syscall.SIGKILL) })
	exited := make(chan struct{})
	go func() { orphan.Wait(); close(exited) }()
	url, err := PostgresURL(cfg)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, func() error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	})

	p, err = StartPostgres(ctx, cfg, testLogger(t))
	if err != nil {
		t.Fatalf("start with an orphaned postmaster running: %v", err)
	}
	defer p.Stop(context.Background())
	// The start saw it end; its parent here reaps it soon after.
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the orphaned postmaster (pid %d) still runs", orphan.Process.Pid)
	}
}
