package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pprofFile is added to package main of cmd/tern at build time (go build
// -overlay) when the harness profiles: it serves net/http/pprof on the
// address in TERN_BENCH_PPROF and, with TERN_BENCH_CONTENTION set, samples
// mutex and block events (which costs a few per cent of CPU). The
// repository's cmd/tern is left as it is.
const pprofFile = `package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
)

func init() {
	addr := os.Getenv("TERN_BENCH_PPROF")
	if addr == "" {
		return
	}
	if os.Getenv("TERN_BENCH_CONTENTION") != "" {
		runtime.SetMutexProfileFraction(100)
		runtime.SetBlockProfileRate(100_000) // one sample per 100 µs blocked
	}
	go http.ListenAndServe(addr, nil)
}
`

// buildTern builds cmd/tern into dir/bin, with the pprof listener when
// profiling.
func buildTern(root, dir string, profiling bool) (string, error) {
	bin := filepath.Join(dir, "bin", "tern")
	args := []string{"build", "-o", bin}
	if profiling {
		src := filepath.Join(dir, "bench_pprof.go")
		if err := os.WriteFile(src, []byte(pprofFile), 0o644); err != nil {
			return "", err
		}
		overlay, err := json.Marshal(map[string]map[string]string{
			"Replace": {filepath.Join(root, "cmd", "tern", "zz_bench_pprof.go"): src},
		})
		if err != nil {
			return "", err
		}
		ov := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(ov, overlay, 0o644); err != nil {
			return "", err
		}
		args = append(args, "-overlay", ov)
	}
	args = append(args, "./cmd/tern")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the tern module; run from the repository")
	}
	return filepath.Dir(mod), nil
}

// ternServe is a running `tern serve --dev`.
type ternServe struct {
	*child
	key      string
	brokers  []string
	pprof    string // "" unless profiling
	log      string // its stdout and stderr
	baseURL  string
	argsLine string
}

// errPortTaken: a port picked as free was taken before tern serve bound it.
var errPortTaken = errors.New("a port picked for tern serve was taken before it started")

// startTern starts `tern serve --dev` on free ports under dir and waits
// until it says it is running (ClickHouse and PostgreSQL start first). A
// port is free when picked, but another process's connection may take it
// before tern serve binds it; then tern serve starts again, on other
// ports, in a directory of its own.
func startTern(ctx context.Context, bin, dir string, profiling, contention bool, extra []string, logf func(string, ...any)) (*ternServe, error) {
	const tries = 3
	in := dir
	for i := 1; ; i++ {
		t, err := startTernOnce(ctx, bin, in, profiling, contention, extra)
		if !errors.Is(err, errPortTaken) || i == tries {
			return t, err
		}
		logf("%v; starting it again on other ports", err)
		in = filepath.Join(dir, "again-"+strconv.Itoa(i))
		if err := os.MkdirAll(in, 0o755); err != nil {
			return nil, err
		}
	}
}

func startTernOnce(ctx context.Context, bin, dir string, profiling, contention bool, extra []string) (*ternServe, error) {
	ports := make([]int, 8)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	at := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	data := filepath.Join(dir, "tern")
	args := []string{"serve", "--dev", "--data", data,
		"--listen", at(ports[0]),
		"--kafka-listen", at(ports[1]),
		"--clickhouse-port", strconv.Itoa(ports[2]),
		"--clickhouse-http-port", strconv.Itoa(ports[3]),
		"--postgres-port", strconv.Itoa(ports[4]),
		"--sim-listen", at(ports[5]),
		"--smpp-listen", at(ports[7]), // the customers' SMPP gateway, idle here
		"--log-level", "warn",
	}
	args = append(args, extra...)
	t := &ternServe{log: filepath.Join(dir, "tern-serve.log"), baseURL: "http://" + at(ports[0]), brokers: []string{at(ports[1])}}
	t.argsLine = "tern " + strings.Join(args, " ")
	logf, err := os.Create(t.log)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = logf
	if profiling {
		t.pprof = at(ports[6])
		cmd.Env = append(os.Environ(), "TERN_BENCH_PPROF="+t.pprof)
		if contention {
			cmd.Env = append(cmd.Env, "TERN_BENCH_CONTENTION=1")
		}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	t.child = &child{cmd: cmd, addr: at(ports[0])}
	ready := make(chan error, 1)
	go func() {
		defer logf.Close()
		sc := bufio.NewScanner(out)
		running := false
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if !running && strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
				running = true
				ready <- nil
			}
		}
		if !running {
			err := fmt.Errorf("tern serve exited before it was running; see %s", t.log)
			if b, _ := os.ReadFile(t.log); strings.Contains(strings.ToLower(string(b)), "address already in use") {
				err = fmt.Errorf("%w (see %s)", errPortTaken, t.log)
			}
			ready <- err
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.stop(10 * time.Second)
			return nil, err
		}
	case <-time.After(3 * time.Minute):
		t.stop(time.Minute)
		return nil, fmt.Errorf("tern serve not running after 3 minutes; see %s", t.log)
	case <-ctx.Done():
		t.stop(time.Minute)
		return nil, ctx.Err()
	}
	key, err := os.ReadFile(filepath.Join(data, "dev-api-key"))
	if err != nil {
		t.stop(time.Minute)
		return nil, err
	}
	t.key = strings.TrimSpace(string(key))
	return t, nil
}

// fetch GETs url into path.
func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// profile takes CPU and allocation profiles of tern serve over secs
// seconds and, with contention, mutex and block profiles over the same
// seconds, plus a goroutine dump at the start, into dir.
func profile(ctx context.Context, pprofAddr, dir string, secs int, contention bool, logf func(string, ...any)) {
	base := "http://" + pprofAddr + "/debug/pprof/"
	s := "?seconds=" + strconv.Itoa(secs)
	want := map[string]string{
		"cpu.pprof":      base + "profile" + s,
		"allocs.pprof":   base + "allocs" + s,
		"goroutines.txt": base + "goroutine?debug=1",
	}
	if contention {
		want["mutex.pprof"] = base + "mutex" + s
		want["block.pprof"] = base + "block" + s
	}
	var wg sync.WaitGroup
	for name, url := range want {
		wg.Go(func() {
			if err := fetch(ctx, url, filepath.Join(dir, name)); err != nil {
				logf("profile %s: %v", name, err)
			}
		})
	}
	wg.Wait()
}
