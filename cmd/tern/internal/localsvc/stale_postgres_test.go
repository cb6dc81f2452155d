package localsvc

import (
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/testkit"
)

// A PostgreSQL a tern from before server.pid left running is found
// through its postmaster.pid and stopped, its own processes with it.
func TestStartStopsStalePostgres(t *testing.T) {
	requirePostgres(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(searchableTempDir(t), "pg")
	cfg := PostgresConfig{Dir: dir, Port: freePort(t)}
	p, err := StartPostgres(ctx, cfg, testkit.Logger(t, slog.LevelDebug))
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
	testkit.Eventually(t, time.Minute, func() error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	})

	p, err = StartPostgres(ctx, cfg, testkit.Logger(t, slog.LevelDebug))
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
