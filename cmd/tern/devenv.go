package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
)

// runDevEnv starts the local services tests need (ClickHouse), runs the
// command after "--" with their addresses in the environment
// (TERN_CLICKHOUSE_ADDR), and stops them when the command ends.
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
	if err := os.RemoveAll(*dir); err != nil {
		return err
	}
	tcp, err := freePort()
	if err != nil {
		return err
	}
	http, err := freePort()
	if err != nil {
		return err
	}
	ch, err := localsvc.StartClickHouse(ctx, localsvc.ClickHouseConfig{
		Dir: filepath.Join(*dir, "clickhouse"), TCPPort: tcp, HTTPPort: http,
	}, log)
	if err != nil {
		return err
	}
	defer ch.Stop(context.Background())
	fmt.Fprintf(os.Stderr, "devenv: ClickHouse on %s\n", ch.Addr())

	cmd := exec.CommandContext(ctx, cmdArgs[0], cmdArgs[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "TERN_CLICKHOUSE_ADDR="+ch.Addr())
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", cmdArgs[0], err)
	}
	return nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
