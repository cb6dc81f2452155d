package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"
)

// `tern serve --dev` killed with SIGKILL takes its ClickHouse and
// PostgreSQL (and PostgreSQL's own processes) with it, and a second start
// from the same data directory, on the same ports, is healthy: a message
// sent through it is delivered.
func TestDevKilledThenStartedAgain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	data := filepath.Join(postgresReachableDir(t), "data")
	ports := newDevPorts(t)

	first := startDevServe(t, data, ports)
	children := descendants(t, first.cmd.Process.Pid)
	t.Cleanup(func() { killAll(children) })
	var servers []string
	for _, c := range children {
		servers = append(servers, commandOf(c.pid))
	}
	joined := strings.Join(servers, "\n")
	if !strings.Contains(joined, "clickhouse-server") || !strings.Contains(joined, "postgres") {
		t.Fatalf("tern serve --dev runs no ClickHouse and PostgreSQL below it; its processes:\n%s", joined)
	}

	first.cmd.Process.Signal(syscall.SIGKILL)
	first.cmd.Wait()
	testkit.Eventually(t, time.Minute, func() error {
		var left []string
		for i, c := range children {
			if c.running() {
				left = append(left, fmt.Sprintf("pid %d: %s", c.pid, servers[i]))
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("after tern serve was killed, its servers still run:\n%s", strings.Join(left, "\n"))
		}
		return nil
	})

	second := startDevServe(t, data, ports)
	secondChildren := descendants(t, second.cmd.Process.Pid)
	t.Cleanup(func() { killAll(secondChildren) })
	second.sendDelivered(ctx)
	second.cmd.Process.Signal(syscall.SIGTERM)
	if err := second.cmd.Wait(); err != nil {
		t.Fatalf("tern serve after SIGTERM: %v", err)
	}
	for _, c := range secondChildren {
		if c.running() {
			t.Errorf("after tern serve stopped, pid %d still runs: %s", c.pid, commandOf(c.pid))
		}
	}
}
