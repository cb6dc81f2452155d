// Command e2e measures tern end to end on one machine, beside two
// baselines measured in the same invocation:
//
//   - echo: a Connect handler that answers every Send with a fixed
//     SendResponse, on the same HTTP server as tern's API, driven by the
//     same load generator (same protocol, callers, connections and
//     requests). It is the ceiling the load generator and the RPC stack
//     set on this machine.
//   - echogrpc: the same echo with gRPC connections on grpc-go, as tern
//     serve splits them (api.WithGRPC); the ceiling for tern's own stack.
//   - raw kafka: the same messages, encoded as the submit records tern's
//     intake writes, produced with kafka-go (acks=all, the intake's writer
//     settings) by the same number of callers to `tern kafka` (kfake with
//     DataDir, the broker tern serve embeds) and consumed back.
//   - end to end: `tern serve --dev` in a temp directory (its own
//     ClickHouse, PostgreSQL, in-process broker with DataDir and simulator
//     SMSC with receipts on, carrier window 100): unary Send, and every
//     message's final status event read back from the tern.events topic,
//     then the campaign's totals from ClickHouse via GetCampaignStats.
//
// The load generator is a closed loop by default: -concurrency callers,
// each with one call in flight, over -conns HTTP/2 connections. Its gRPC
// calls come from grpc-go client connections, as ghz makes them: they
// take less of the machine the servers share than connect-go's client
// (-client connect-go), which makes the Connect-protocol calls. A closed
// loop finds the throughput the system sustains; its latencies are those
// at that concurrency. -rate runs an open loop instead (calls start on a
// fixed schedule, latency counted from the scheduled start), which gives
// latency at a chosen load without coordinated omission.
//
//	go run ./bench/e2e                      # all four, 60 s each
//	go run ./bench/e2e -only e2e -profile /tmp/prof
//	go run ./bench/e2e -split /tmp/prof/cpu.pprof   # where tern serve's CPU went
//	go run ./bench/e2e -addr http://127.0.0.1:8080 -key KEY -brokers 127.0.0.1:9092 -only e2e
//
// It prints a Markdown table for bench/RESULTS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// env is what every run shares.
type env struct {
	dir        string // temp directory for builds, data and logs
	ternBin    string
	reqs       []*ternv1.SendRequest
	campaign   string
	load       loadConfig
	protocol   string
	grpcGo     bool
	conns      int
	acceptGzip bool
	partitions int
	drain      time.Duration
	quietWait  time.Duration
	loadBefore string // 1-minute load average when the harness started
	profileDir string
	contention bool
	verbose    bool
}

func (e *env) client(key string) clientConfig {
	return clientConfig{protocol: e.protocol, grpcGo: e.grpcGo, conns: e.conns, acceptGzip: e.acceptGzip, key: key}
}

// awaitQuiet waits, up to e.quietWait, until the machine is nearly idle.
func (e *env) awaitQuiet(ctx context.Context) {
	if e.quietWait <= 0 {
		return
	}
	deadline := time.Now().Add(e.quietWait)
	for {
		a := snapCPU()
		select {
		case <-ctx.Done():
			return
		case <-time.After(3 * time.Second):
		}
		busy := a.until(snapCPU()).machine
		if busy < 0.4 {
			return
		}
		if time.Now().After(deadline) {
			e.logf("machine still busy (%.2f cores) after %v; going on", busy, e.quietWait)
			return
		}
		e.logf("waiting for a quieter machine: %.2f cores busy", busy)
	}
}

func (e *env) logf(format string, args ...any) {
	if e.verbose {
		log.Printf(format, args...)
	}
}

// row is one run's line in the table.
type row struct {
	name     string
	accepted float64 // answered calls (Send, or produce acks) per second in the window
	p50, p99 time.Duration
	// final is the per-second count of messages seen at their end (final
	// event, or consumed) in the window; 0 when the run has no such end.
	final     float64
	f50, f99  time.Duration // from the answer to that end
	errs      map[string]int
	total     int     // answered calls, warmup included
	done      int     // of them seen at their end
	behind    int     // answered calls not yet seen at their end when the load stopped
	rate      float64 // of an open loop; 0 for a closed one
	drainTime time.Duration
	cpu       cpuUse
	load      string
	notes     []string
}

// options are the command line's flags.
type options struct {
	serveEcho, split, only, protocol, clientLib, ternArgs string
	addr, key, brokers, steady, profileDir                string
	duration, warmup, drain, receiptDelay, quietWait      time.Duration
	concurrency, conns, recipients, partitions            int
	rate                                                  float64
	echoGRPC, acceptGzip, contention, keep, verbose       bool
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.serveEcho, "serve-echo", "", "internal: run the echo server on this address")
	flag.BoolVar(&o.echoGRPC, "echo-grpc", false, "internal: with -serve-echo, gRPC connections on grpc-go")
	flag.StringVar(&o.split, "split", "", "print how a CPU profile of tern serve (from -profile) divides among its parts, and exit")
	flag.StringVar(&o.only, "only", "echo,echogrpc,kafka,e2e", "runs to make, comma-separated: echo, echogrpc, kafka, e2e")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "measured window of each run")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "load before each window, not measured")
	flag.IntVar(&o.concurrency, "concurrency", 256, "callers: calls in flight (closed loop) or at most in flight (open loop)")
	flag.IntVar(&o.conns, "conns", 4, "HTTP/2 connections the callers share; at most 250 callers each")
	flag.Float64Var(&o.rate, "rate", 0, "open loop at this many calls per second; 0 runs a closed loop")
	flag.StringVar(&o.protocol, "protocol", "grpc", "grpc or connect (both unary over h2c)")
	flag.StringVar(&o.clientLib, "client", "auto", "the load generator's client: grpc-go (gRPC only, as ghz calls; the cheaper), connect-go, or auto (grpc-go for -protocol grpc, else connect-go)")
	flag.BoolVar(&o.acceptGzip, "accept-gzip", false, "let servers gzip responses (connect-go clients ask for it by default; grpc-go, k6 and ghz do not)")
	flag.IntVar(&o.recipients, "recipients", 100_000, "distinct recipients; request i goes to recipient i mod this")
	flag.IntVar(&o.partitions, "partitions", 4, "partitions of the raw baseline's topic (tern serve's default with its in-process broker is 4)")
	flag.DurationVar(&o.drain, "drain", 2*time.Minute, "how long to wait after the load for the last final events")
	flag.DurationVar(&o.receiptDelay, "sim-receipt-delay", 500*time.Millisecond, "the simulator's delay before a receipt (tern serve's default)")
	flag.StringVar(&o.ternArgs, "tern-args", "", "more `tern serve` flags, space-separated")
	flag.StringVar(&o.addr, "addr", "", "use this running tern (base URL) instead of starting one; needs -key and -brokers")
	flag.StringVar(&o.key, "key", "", "API key for -addr")
	flag.StringVar(&o.brokers, "brokers", "", "Kafka brokers of the tern at -addr")
	flag.StringVar(&o.steady, "steady", "auto", "after the closed-loop end-to-end run, an open-loop one on the same tern at this rate: a number, \"auto\" (the highest rate that kept up in a search of 30-second open loops, a tenth lower if it falls behind over the window, at most twice) or \"off\"; -rate replaces both")
	flag.StringVar(&o.profileDir, "profile", "", "directory for CPU and allocation profiles of tern serve during the last end-to-end run (builds tern with a pprof listener)")
	flag.BoolVar(&o.contention, "contention", false, "with -profile, also mutex and block profiles (sampling them slows tern by a few per cent)")
	flag.DurationVar(&o.quietWait, "quiet-wait", 0, "before each run, wait up to this long for the machine to be nearly idle (under 0.4 busy cores over 3 s), for a machine shared with other work")
	flag.BoolVar(&o.keep, "keep", false, "keep the temp directory (data, logs, metrics)")
	flag.BoolVar(&o.verbose, "v", true, "log progress to stderr")
	flag.Parse()
	return o
}

// check returns the runs o asks for and whether the load generator's
// gRPC calls come from grpc-go; it exits on flags that do not fit.
func (o options) check() (runs map[string]bool, grpcGo bool) {
	runs = map[string]bool{}
	for _, r := range strings.Split(o.only, ",") {
		switch r = strings.TrimSpace(r); r {
		case "echo", "echogrpc", "kafka", "e2e":
			runs[r] = true
		default:
			log.Fatalf("-only: unknown run %q", r)
		}
	}
	if o.protocol != "grpc" && o.protocol != "connect" {
		log.Fatalf("-protocol %q: want grpc or connect", o.protocol)
	}
	switch o.clientLib {
	case "auto":
		grpcGo = o.protocol == "grpc"
	case "grpc-go":
		if o.protocol != "grpc" {
			log.Fatalf("-client grpc-go speaks only -protocol grpc, not %q", o.protocol)
		}
		grpcGo = true
	case "connect-go":
	default:
		log.Fatalf("-client %q: want grpc-go, connect-go or auto", o.clientLib)
	}
	if o.addr != "" && (o.key == "" || o.brokers == "") {
		log.Fatal("-addr needs -key and -brokers")
	}
	if o.conns < 1 || o.concurrency > 250*o.conns {
		log.Fatalf("-concurrency %d over -conns %d: at most 250 callers per connection", o.concurrency, o.conns)
	}
	return runs, grpcGo
}

func main() {
	o := parseFlags()
	log.SetFlags(log.Ltime)
	if o.serveEcho != "" {
		if err := serveEcho(o.serveEcho, o.echoGRPC); err != nil {
			log.Fatal(err)
		}
		return
	}
	if o.split != "" {
		if err := splitProfile(o.split); err != nil {
			log.Fatal(err)
		}
		return
	}
	runs, grpcGo := o.check()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e, err := newEnv(o, grpcGo)
	if err != nil {
		log.Fatal(err)
	}
	if o.keep {
		log.Printf("keeping %s", e.dir)
	} else {
		defer os.RemoveAll(e.dir)
	}
	rows, err := runAll(ctx, e, o, runs)
	printResults(e, rows, os.Args[1:])
	if err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// newEnv makes the temp directory and the requests every run shares.
func newEnv(o options, grpcGo bool) (*env, error) {
	dir, err := os.MkdirTemp("", "tern-bench-")
	if err != nil {
		return nil, err
	}
	// tern serve --dev runs PostgreSQL as the postgres user when run as
	// root; it must reach the data directory.
	if err := os.Chmod(dir, 0o711); err != nil {
		return nil, err
	}
	e := &env{
		dir: dir, campaign: "bench-" + time.Now().UTC().Format("20060102T150405"),
		load:     loadConfig{concurrency: o.concurrency, rate: o.rate, warmup: o.warmup, duration: o.duration},
		protocol: o.protocol, grpcGo: grpcGo, conns: o.conns, acceptGzip: o.acceptGzip, partitions: o.partitions,
		drain: o.drain, quietWait: o.quietWait, loadBefore: loadAvg(), profileDir: o.profileDir, contention: o.contention, verbose: o.verbose,
	}
	if e.profileDir != "" {
		if e.profileDir, err = filepath.Abs(e.profileDir); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(e.profileDir, 0o755); err != nil {
			return nil, err
		}
	}
	if e.reqs, err = payloads(o.recipients, e.campaign); err != nil {
		return nil, err
	}
	return e, nil
}

// runAll makes the runs asked for, in order, and returns their rows; on
// an error, the rows of the runs before it.
func runAll(ctx context.Context, e *env, o options, runs map[string]bool) ([]row, error) {
	var rows []row
	if runs["kafka"] || (runs["e2e"] && o.addr == "") {
		root, err := moduleRoot()
		if err != nil {
			return rows, fmt.Errorf("build: %w", err)
		}
		e.logf("building tern")
		if e.ternBin, err = buildTern(root, e.dir, e.profileDir != ""); err != nil {
			return rows, fmt.Errorf("build: %w", err)
		}
	}
	for _, b := range []struct {
		run, what string
		grpc      bool
	}{{"echo", "echo", false}, {"echogrpc", "echo with grpc-go", true}} {
		if runs[b.run] {
			r, err := runEcho(ctx, e, b.grpc)
			if err != nil {
				return rows, fmt.Errorf("%s: %w", b.what, err)
			}
			rows = append(rows, r)
		}
	}
	if runs["kafka"] {
		r, err := runRawKafka(ctx, e)
		if err != nil {
			return rows, fmt.Errorf("raw kafka: %w", err)
		}
		rows = append(rows, r)
	}
	if runs["e2e"] {
		if err := runEndToEnd(ctx, e, o, &rows); err != nil {
			return rows, fmt.Errorf("e2e: %w", err)
		}
	}
	return rows, nil
}

// runEndToEnd starts tern serve (unless o.addr names one), makes the
// end-to-end runs on it and stops it.
func runEndToEnd(ctx context.Context, e *env, o options, rows *[]row) error {
	sys := system{baseURL: o.addr, key: o.key, brokers: splitList(o.brokers)}
	if o.addr == "" {
		extra := append([]string{"--sim-receipt-delay", o.receiptDelay.String()}, strings.Fields(o.ternArgs)...)
		e.logf("starting tern serve --dev (ClickHouse and PostgreSQL first)")
		t, err := startTern(ctx, e.ternBin, e.dir, e.profileDir != "", e.contention, extra, e.logf)
		if err != nil {
			return fmt.Errorf("tern serve: %w", err)
		}
		e.logf("%s", t.argsLine)
		sys = system{baseURL: t.baseURL, key: t.key, brokers: t.brokers, serve: t}
	}
	err := e2eRuns(ctx, e, sys, o.addr == "", o.steady, rows)
	if sys.serve != nil {
		e.logf("stopping tern serve")
		if serr := sys.serve.stop(2 * time.Minute); serr != nil {
			e.logf("tern serve stop: %v", serr)
		}
	}
	return err
}

// e2eRuns makes the end-to-end runs on sys: the closed loop (or the
// open loop -rate asks for), then, unless steady is "off", an open loop
// at steady's rate or the one a search found the pipeline keeps up with,
// for the latencies of a steady state; after a search, slower again while
// it falls behind over the window. The profile, if any, is of the last
// run.
func e2eRuns(ctx context.Context, e *env, sys system, fresh bool, steady string, rows *[]row) error {
	var rate float64
	if e.load.rate == 0 && steady != "off" && steady != "auto" {
		if _, err := fmt.Sscan(steady, &rate); err != nil || rate <= 0 {
			return fmt.Errorf("-steady %q: want a rate, auto or off", steady)
		}
	}
	second := e.load.rate == 0 && steady != "off"
	var idle string
	if sys.serve != nil {
		// What tern serve costs with no traffic: pollers, heartbeats, commits.
		time.Sleep(5 * time.Second)
		e.awaitQuiet(ctx)
		roots := []root{{sys.serve.cmd.Process.Pid, "tern serve"}}
		a := snapCPU(roots...)
		time.Sleep(10 * time.Second)
		idle = "idle for 10 s before the load, in cores: " + a.until(snapCPU(roots...)).String()
	}
	r, err := runE2E(ctx, e, sys, e.load, e.campaign, fresh, e.profileDir != "" && !second)
	if err != nil {
		return err
	}
	if idle != "" {
		r.notes = append([]string{idle}, r.notes...)
	}
	*rows = append(*rows, r)
	if !second {
		return nil
	}
	var search []string
	if steady == "auto" {
		rate, search, err = searchRate(ctx, e, sys, r.final)
		if err != nil {
			return err
		}
	}
	if rate <= 0 {
		return fmt.Errorf("no final events in the closed loop: nothing to base an open loop on")
	}
	steps, err := holdRate(rate, search != nil, func(rate float64, try int) (row, error) {
		cfg := e.load
		cfg.rate = rate
		if try > 1 {
			e.logf("e2e: the last open loop fell behind over the window; again at %.0f/s", rate)
		}
		return runE2E(ctx, e, sys, cfg, fmt.Sprintf("%s-open%d", e.campaign, try), false, e.profileDir != "")
	})
	if len(steps) > 0 && search != nil {
		steps[0].notes = append(steps[0].notes, "its rate came from a search of 30-second open loops, each kept up when its final msg/s reached 97 % of the rate and at most 2 s of messages were not final when the load stopped: "+strings.Join(search, "; "))
	}
	*rows = append(*rows, steps...)
	return err
}

// holdRate runs window-long open loops through run, the first at rate.
// With step, one that falls behind is followed by another a tenth
// slower, at most maxSteadyTries in all: a rate a search's 30-second
// runs kept up with can still fall behind over the whole window. It
// returns the runs' rows.
func holdRate(rate float64, step bool, run func(rate float64, try int) (row, error)) ([]row, error) {
	var rows []row
	for try := 1; ; try++ {
		r, err := run(rate, try)
		if err != nil {
			return rows, err
		}
		rows = append(rows, r)
		if !step || keptUp(r, rate) || try == maxSteadyTries {
			return rows, nil
		}
		rate = roundRate(rate * 0.9)
	}
}

// maxSteadyTries bounds the window-long open loops after a search.
const maxSteadyTries = 3

// roundRate rounds a rate to a multiple of 50/s, at least 50/s.
func roundRate(v float64) float64 { return max(math.Round(v/50)*50, 50) }

// keptUp says whether an open loop at rate kept up: its final msg/s came
// within 3 % of the rate, no call failed, and when the load stopped at
// most 2 s of messages were on their way (the simulator's receipt delay
// alone holds half a second of them).
func keptUp(r row, rate float64) bool {
	return len(r.errs) == 0 && r.final >= 0.97*rate && float64(r.behind) <= 2*rate
}

// searchRate looks for the highest open-loop rate the system keeps up
// with, in at most six 30-second runs: up by 15 % from the closed loop's
// final msg/s while runs keep up, down by 20 % while they do not, then
// halving the gap until it is under 8 %. It returns that rate (0 if none
// kept up) and one line per run.
func searchRate(ctx context.Context, e *env, sys system, closedFinal float64) (float64, []string, error) {
	rate, lo, hi, tried := roundRate(closedFinal), 0.0, 0.0, 0.0
	var lines []string
	for i := range 6 {
		tried = rate
		cfg := e.load
		cfg.rate, cfg.duration = rate, min(cfg.duration, 30*time.Second)
		e.logf("e2e: rate search, run %d at %.0f/s", i+1, rate)
		r, err := runE2E(ctx, e, sys, cfg, fmt.Sprintf("%s-search%d", e.campaign, i+1), false, false)
		if err != nil {
			return 0, lines, err
		}
		ok := keptUp(r, rate)
		verdict := "fell behind"
		if ok {
			verdict, lo = "kept up", rate
		} else {
			hi = rate
		}
		lines = append(lines, fmt.Sprintf("%.0f/s %s (final %.0f msg/s, %d not final at the load's end, accept→final p99 %s)", rate, verdict, r.final, r.behind, ms(r.f99)))
		switch {
		case hi == 0:
			rate = roundRate(rate * 1.15)
		case lo == 0:
			rate = roundRate(rate * 0.8)
		case hi/lo < 1.08:
			return lo, lines, nil
		default:
			rate = roundRate((lo + hi) / 2)
		}
		if rate == lo || rate == hi {
			break
		}
	}
	if lo == 0 {
		lo = tried
		lines = append(lines, "no run kept up; the last rate tried is used")
	}
	return lo, lines, nil
}

// runEcho is baseline (a), or with grpcToo the same echo on the server
// split as tern serve's is (a′).
func runEcho(ctx context.Context, e *env, grpcToo bool) (row, error) {
	r := row{name: "echo Connect handler, fixed SendResponse (baseline a)"}
	if grpcToo {
		r.name = "echo, gRPC connections on grpc-go as in tern serve (baseline a′)"
	}
	echo, err := startEcho(grpcToo)
	if err != nil {
		return r, err
	}
	defer echo.stop(10 * time.Second)
	send, err := sendLoad("http://"+echo.addr, e.client("bench-key"), e.reqs)
	if err != nil {
		return r, err
	}
	var a, b cpuSnap
	roots := []root{{os.Getpid(), harnessLabel + " (load generator)"}, {echo.cmd.Process.Pid, "echo server"}}
	cfg := e.load
	cfg.atWindow = func(start bool) {
		if start {
			a = snapCPU(roots...)
		} else {
			b = snapCPU(roots...)
		}
	}
	e.logf("echo: %d callers over %d connections for %v after %v warmup", cfg.concurrency, e.conns, cfg.duration, cfg.warmup)
	e.awaitQuiet(ctx)
	res := runLoad(ctx, cfg, send)
	r.cpu, r.load = a.until(b), loadAvg()
	n, lats := res.inWindow()
	r.accepted = float64(n) / res.t1.Sub(res.t0).Seconds()
	r.p50, r.p99, r.errs, r.total = percentile(lats, 50), percentile(lats, 99), res.errs, len(res.calls)
	return r, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
