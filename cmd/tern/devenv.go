package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
)

// runDevEnv starts the local services tests need (ClickHouse, PostgreSQL),
// runs the command after "--" with their addresses in the environment
// (TERN_CLICKHOUSE_ADDR, TERN_POSTGRES_URL with the cluster's password),
// and stops them when the command ends.
func runDevEnv(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("devenv", flag.ContinueOnError)
	dir := fs.String("data", "data/devenv", "directory for the services' state; emptied first")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cmdArgs := fs.Args()
	if len(cmdArgs) == 0 {
		return errors.New("devenv: no command given (tern devenv -- go test ./...)")
	}
	log, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	chDir, pgDir := filepath.Join(*dir, "clickhouse"), filepath.Join(*dir, "postgres")
	// Servers an earlier devenv left running from dir go before dir does;
	// a devenv still running there keeps it.
	for _, d := range []string{chDir, pgDir} {
		if err := localsvc.StopStale(ctx, d, log); err != nil {
			return fmt.Errorf("devenv: %w", err)
		}
	}
	if err := os.RemoveAll(*dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*dir), 0o755); err != nil {
		return err
	}
	if err := localsvc.PrivateDir(*dir, true); err != nil {
		return err
	}
	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = localsvc.FreePort("127.0.0.1"); err != nil {
			return err
		}
	}
	// The servers' files are their owner's only; the command's are as the
	// caller's umask says.
	umask := syscall.Umask(0o077)
	ch, err := localsvc.StartClickHouse(ctx, localsvc.ClickHouseConfig{
		Dir: chDir, TCPPort: ports[0], HTTPPort: ports[1],
	}, log)
	if err != nil {
		return err
	}
	defer ch.Stop(context.Background())
	pg, err := localsvc.StartPostgres(ctx, localsvc.PostgresConfig{
		Dir: pgDir, Port: ports[2],
	}, log)
	if err != nil {
		return err
	}
	defer pg.Stop(context.Background())
	syscall.Umask(umask)
	fmt.Fprintf(os.Stderr, "devenv: ClickHouse on %s, PostgreSQL at %s\n", ch.Addr(), redactURL(pg.URL()))

	cmd := exec.CommandContext(ctx, cmdArgs[0], cmdArgs[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "TERN_CLICKHOUSE_ADDR="+ch.Addr(), "TERN_POSTGRES_URL="+pg.URL())
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", cmdArgs[0], err)
	}
	return nil
}
