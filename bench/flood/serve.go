package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ternServe is a running `tern serve --dev` on free ports.
type ternServe struct {
	cmd  *exec.Cmd
	addr string // the API
	key  string // the dev API key
	log  string
	args string
	done chan struct{}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startTern starts bin as `tern serve --dev` under dir, with its own
// ClickHouse and PostgreSQL, and waits until it says it is running.
func startTern(ctx context.Context, bin, dir string) (*ternServe, error) {
	addrs := make([]string, 7)
	for i := range addrs {
		a, err := freePort()
		if err != nil {
			return nil, err
		}
		addrs[i] = a
	}
	port := func(a string) string { _, p, _ := net.SplitHostPort(a); return p }
	data := filepath.Join(dir, "data")
	args := []string{"serve", "--dev", "--data", data, "--log-level", "warn",
		"--listen", addrs[0], "--kafka-listen", addrs[1], "--sim-listen", addrs[2], "--smpp-listen", addrs[3],
		"--clickhouse-port", port(addrs[4]), "--clickhouse-http-port", port(addrs[5]), "--postgres-port", port(addrs[6])}
	t := &ternServe{addr: addrs[0], log: filepath.Join(dir, "tern-serve.log"), args: "tern " + strings.Join(args, " "), done: make(chan struct{})}
	logf, err := os.Create(t.log)
	if err != nil {
		return nil, err
	}
	t.cmd = exec.Command(bin, args...)
	t.cmd.Stderr = logf
	out, err := t.cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := t.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	ready := make(chan bool, 1)
	go func() {
		defer close(t.done)
		defer logf.Close()
		sc := bufio.NewScanner(out)
		running := false
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if !running && strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
				running = true
				ready <- true
			}
		}
		io.Copy(io.Discard, out)
		t.cmd.Wait()
		if !running {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			return nil, fmt.Errorf("tern serve exited before it was running; see %s", t.log)
		}
	case <-ctx.Done():
		t.stop()
		return nil, ctx.Err()
	}
	key, err := os.ReadFile(filepath.Join(data, "dev-api-key"))
	if err != nil {
		t.stop()
		return nil, err
	}
	t.key = strings.TrimSpace(string(key))
	return t, nil
}

// alive tells whether tern serve is still running.
func (t *ternServe) alive() bool {
	select {
	case <-t.done:
		return false
	default:
		return true
	}
}

// stop asks tern serve to stop, and kills it after a minute.
func (t *ternServe) stop() {
	t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.done:
	case <-time.After(time.Minute):
		t.cmd.Process.Kill()
		<-t.done
	}
}

// rss reads a process's resident set size and its peak so far, in bytes.
func rss(pid int) (now, peak int64, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %q: %w", name, v, err)
		}
		if name == "VmRSS" {
			now = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return now, peak, sc.Err()
}

// rssWatch samples a process's RSS until stopped and keeps the highest
// sample since the last reset; over guard it calls onGuard once.
type rssWatch struct {
	mu      sync.Mutex
	highest int64
	stopped chan struct{}
	wg      sync.WaitGroup
}

func watchRSS(pid int, guard int64, onGuard func(int64)) *rssWatch {
	w := &rssWatch{stopped: make(chan struct{})}
	var once sync.Once
	tick := time.NewTicker(50 * time.Millisecond)
	w.wg.Go(func() {
		defer tick.Stop()
		for {
			select {
			case <-w.stopped:
				return
			case <-tick.C:
			}
			now, _, err := rss(pid)
			if err != nil {
				continue
			}
			w.mu.Lock()
			w.highest = max(w.highest, now)
			w.mu.Unlock()
			if guard > 0 && now > guard {
				once.Do(func() { onGuard(now) })
			}
		}
	})
	return w
}

// take returns the highest sample since the last take and starts again.
func (w *rssWatch) take() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.highest
	w.highest = 0
	return h
}

func (w *rssWatch) stop() {
	close(w.stopped)
	w.wg.Wait()
}
