package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
	"github.com/ternsms/tern/core/testkit"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// devServe is a `tern serve --dev` process: the binary with its own
// ClickHouse and PostgreSQL under its data directory.
type devServe struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  string // what it printed
	api  string
	data string
}

// devPorts are the fixed ports of a devServe's local servers, the same on
// every start from one data directory, as `make run`'s are.
type devPorts struct{ clickhouse, clickhouseHTTP, postgres int }

func newDevPorts(t *testing.T) devPorts {
	t.Helper()
	var p [3]int
	for i := range p {
		port, err := localsvc.FreePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		p[i] = port
	}
	return devPorts{p[0], p[1], p[2]}
}

// startDevServe starts `tern serve --dev` on data and waits until its API
// answers /metrics.
func startDevServe(t *testing.T, data string, ports devPorts, extra ...string) *devServe {
	t.Helper()
	d := &devServe{t: t, data: data, out: filepath.Join(filepath.Dir(data), fmt.Sprintf("serve-%d.log", time.Now().UnixNano()))}
	logf, err := os.Create(d.out)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve", "--dev", "--data", data,
		"--listen", "127.0.0.1:0",
		"--kafka-listen", "127.0.0.1:0",
		"--clickhouse-port", strconv.Itoa(ports.clickhouse),
		"--clickhouse-http-port", strconv.Itoa(ports.clickhouseHTTP),
		"--postgres-port", strconv.Itoa(ports.postgres),
		"--sim-listen", "127.0.0.1:0",
		"--sim-delivered", "1", "--sim-undelivered", "0", "--sim-receipt-delay", "50ms",
		"--smpp-listen", "off",
		"--log-level", "warn",
	}, extra...)
	d.cmd = exec.Command(ternBinary(t), args...)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		d.cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(d.out)
			t.Logf("tern serve --dev output (tail):\n%s", tail(string(b), 40))
		}
	})
	d.api = strings.TrimPrefix(printedAddr(t, d.out, "  API (gRPC, gRPC-Web, Connect): "), "http://")
	testkit.Eventually(t, time.Minute, func() error {
		resp, err := http.Get("http://" + d.api + "/metrics")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/metrics: %s", resp.Status)
		}
		return nil
	})
	return d
}

// sendDelivered sends a message through the API and waits until the
// simulator's receipt made it DELIVERED: the whole stack works.
func (d *devServe) sendDelivered(ctx context.Context) {
	d.t.Helper()
	key, err := os.ReadFile(filepath.Join(d.data, "dev-api-key"))
	if err != nil {
		d.t.Fatal(err)
	}
	client := ternv1connect.NewMessageServiceClient(h2c(), "http://"+d.api, bearer(strings.TrimSpace(string(key))))
	sent, err := client.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: "+14155552671", Body: "Your order #4582 has shipped"}))
	if err != nil {
		d.t.Fatalf("Send: %v", err)
	}
	testkit.Eventually(d.t, 2*time.Minute, func() error {
		got, err := client.GetMessage(ctx, connect.NewRequest(&ternv1.GetMessageRequest{Id: sent.Msg.Id}))
		if err != nil {
			return err
		}
		if s := got.Msg.Message.Status; s != ternv1.Status_STATUS_DELIVERED {
			return fmt.Errorf("message %s is %v, want delivered", sent.Msg.Id, s)
		}
		return nil
	})
}

// proc is one process: its pid, and its start time (/proc/PID/stat field
// 22), which tells it from a later process given the same pid.
type proc struct {
	pid   int
	start string
}

// descendants returns the processes below pid: its children, theirs, and
// so on.
func descendants(t *testing.T, pid int) []proc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	children := map[int][]proc{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, ok := procStatFields(p)
		if !ok || len(f) < 20 {
			continue
		}
		if pp, err := strconv.Atoi(f[1]); err == nil {
			children[pp] = append(children[pp], proc{p, f[19]})
		}
	}
	var out []proc
	for todo := children[pid]; len(todo) > 0; todo = todo[1:] {
		out = append(out, todo[0])
		todo = append(todo, children[todo[0].pid]...)
	}
	return out
}

// running reports whether p still runs: its pid has its start time and is
// not a zombie.
func (p proc) running() bool {
	f, ok := procStatFields(p.pid)
	return ok && len(f) >= 20 && f[19] == p.start && f[0] != "Z"
}

// procStatFields are the fields of /proc/PID/stat after the command name:
// state, parent, ….
func procStatFields(pid int) ([]string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(string(b[i+1:])), true
}

// postgresReachableDir returns a fresh directory the postgres system user
// can pass through, as it must to reach a cluster below it when tests run
// as root.
func postgresReachableDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// commandOf is a process's command line, for messages.
func commandOf(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// killAll ends the processes left running, so a failed test leaves no
// servers behind on the machine.
func killAll(procs []proc) {
	for _, p := range procs {
		if p.running() {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
}
