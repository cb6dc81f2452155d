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
	"slices"
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

func main() {
	var (
		serveEchoAddr = flag.String("serve-echo", "", "internal: run the echo server on this address")
		echoGRPC      = flag.Bool("echo-grpc", false, "internal: with -serve-echo, gRPC connections on grpc-go")
		split         = flag.String("split", "", "print how a CPU profile of tern serve (from -profile) divides among its parts, and exit")
		only          = flag.String("only", "echo,echogrpc,kafka,e2e", "runs to make, comma-separated: echo, echogrpc, kafka, e2e")
		duration      = flag.Duration("duration", 60*time.Second, "measured window of each run")
		warmup        = flag.Duration("warmup", 5*time.Second, "load before each window, not measured")
		concurrency   = flag.Int("concurrency", 256, "callers: calls in flight (closed loop) or at most in flight (open loop)")
		conns         = flag.Int("conns", 4, "HTTP/2 connections the callers share; at most 250 callers each")
		rate          = flag.Float64("rate", 0, "open loop at this many calls per second; 0 runs a closed loop")
		protocol      = flag.String("protocol", "grpc", "grpc or connect (both unary over h2c)")
		clientLib     = flag.String("client", "auto", "the load generator's client: grpc-go (gRPC only, as ghz calls; the cheaper), connect-go, or auto (grpc-go for -protocol grpc, else connect-go)")
		acceptGzip    = flag.Bool("accept-gzip", false, "let servers gzip responses (connect-go clients ask for it by default; grpc-go, k6 and ghz do not)")
		recipients    = flag.Int("recipients", 100_000, "distinct recipients; request i goes to recipient i mod this")
		partitions    = flag.Int("partitions", 4, "partitions of the raw baseline's topic (tern serve's default with its in-process broker is 4)")
		drain         = flag.Duration("drain", 2*time.Minute, "how long to wait after the load for the last final events")
		receiptDelay  = flag.Duration("sim-receipt-delay", 500*time.Millisecond, "the simulator's delay before a receipt (tern serve's default)")
		ternArgs      = flag.String("tern-args", "", "more `tern serve` flags, space-separated")
		addr          = flag.String("addr", "", "use this running tern (base URL) instead of starting one; needs -key and -brokers")
		key           = flag.String("key", "", "API key for -addr")
		brokersFlag   = flag.String("brokers", "", "Kafka brokers of the tern at -addr")
		steady        = flag.String("steady", "auto", "after the closed-loop end-to-end run, an open-loop one on the same tern at this rate: a number, \"auto\" (the highest rate that kept up in a search of 30-second open loops, a tenth lower if it falls behind over the window, at most twice) or \"off\"; -rate replaces both")
		profileDir    = flag.String("profile", "", "directory for CPU and allocation profiles of tern serve during the last end-to-end run (builds tern with a pprof listener)")
		contention    = flag.Bool("contention", false, "with -profile, also mutex and block profiles (sampling them slows tern by a few per cent)")
		quietWait     = flag.Duration("quiet-wait", 0, "before each run, wait up to this long for the machine to be nearly idle (under 0.4 busy cores over 3 s), for a machine shared with other work")
		keep          = flag.Bool("keep", false, "keep the temp directory (data, logs, metrics)")
		verbose       = flag.Bool("v", true, "log progress to stderr")
	)
	flag.Parse()
	log.SetFlags(log.Ltime)
	if *serveEchoAddr != "" {
		if err := serveEcho(*serveEchoAddr, *echoGRPC); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *split != "" {
		if err := splitProfile(*split); err != nil {
			log.Fatal(err)
		}
		return
	}
	runs := map[string]bool{}
	for _, r := range strings.Split(*only, ",") {
		switch r = strings.TrimSpace(r); r {
		case "echo", "echogrpc", "kafka", "e2e":
			runs[r] = true
		default:
			log.Fatalf("-only: unknown run %q", r)
		}
	}
	if *protocol != "grpc" && *protocol != "connect" {
		log.Fatalf("-protocol %q: want grpc or connect", *protocol)
	}
	var grpcGo bool
	switch *clientLib {
	case "auto":
		grpcGo = *protocol == "grpc"
	case "grpc-go":
		if *protocol != "grpc" {
			log.Fatalf("-client grpc-go speaks only -protocol grpc, not %q", *protocol)
		}
		grpcGo = true
	case "connect-go":
	default:
		log.Fatalf("-client %q: want grpc-go, connect-go or auto", *clientLib)
	}
	if *addr != "" && (*key == "" || *brokersFlag == "") {
		log.Fatal("-addr needs -key and -brokers")
	}
	if *conns < 1 || *concurrency > 250**conns {
		log.Fatalf("-concurrency %d over -conns %d: at most 250 callers per connection", *concurrency, *conns)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "tern-bench-")
	if err != nil {
		log.Fatal(err)
	}
	// tern serve --dev runs PostgreSQL as the postgres user when run as
	// root; it must reach the data directory.
	if err := os.Chmod(dir, 0o711); err != nil {
		log.Fatal(err)
	}
	if *keep {
		log.Printf("keeping %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	e := &env{
		dir: dir, campaign: "bench-" + time.Now().UTC().Format("20060102T150405"),
		load:     loadConfig{concurrency: *concurrency, rate: *rate, warmup: *warmup, duration: *duration},
		protocol: *protocol, grpcGo: grpcGo, conns: *conns, acceptGzip: *acceptGzip, partitions: *partitions,
		drain: *drain, quietWait: *quietWait, loadBefore: loadAvg(), profileDir: *profileDir, contention: *contention, verbose: *verbose,
	}
	if e.profileDir != "" {
		if e.profileDir, err = filepath.Abs(e.profileDir); err != nil {
			log.Fatal(err)
		}
		if err := os.MkdirAll(e.profileDir, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	if e.reqs, err = payloads(*recipients, e.campaign); err != nil {
		log.Fatal(err)
	}

	var rows []row
	fail := func(what string, err error) {
		log.Printf("%s: %v", what, err)
		printResults(e, rows, os.Args[1:])
		os.Exit(1)
	}
	if runs["kafka"] || (runs["e2e"] && *addr == "") {
		root, err := moduleRoot()
		if err != nil {
			fail("build", err)
		}
		e.logf("building tern")
		if e.ternBin, err = buildTern(root, dir, e.profileDir != ""); err != nil {
			fail("build", err)
		}
	}
	if runs["echo"] {
		r, err := runEcho(ctx, e, false)
		if err != nil {
			fail("echo", err)
		}
		rows = append(rows, r)
	}
	if runs["echogrpc"] {
		r, err := runEcho(ctx, e, true)
		if err != nil {
			fail("echo with grpc-go", err)
		}
		rows = append(rows, r)
	}
	if runs["kafka"] {
		r, err := runRawKafka(ctx, e)
		if err != nil {
			fail("raw kafka", err)
		}
		rows = append(rows, r)
	}
	if runs["e2e"] {
		sys := system{baseURL: *addr, key: *key, brokers: splitList(*brokersFlag)}
		if *addr == "" {
			extra := append([]string{"--sim-receipt-delay", receiptDelay.String()}, strings.Fields(*ternArgs)...)
			e.logf("starting tern serve --dev (ClickHouse and PostgreSQL first)")
			t, err := startTern(ctx, e.ternBin, dir, e.profileDir != "", e.contention, extra, e.logf)
			if err != nil {
				fail("tern serve", err)
			}
			e.logf("%s", t.argsLine)
			sys = system{baseURL: t.baseURL, key: t.key, brokers: t.brokers, serve: t}
		}
		err := e2eRuns(ctx, e, sys, *addr == "", *steady, &rows)
		if sys.serve != nil {
			e.logf("stopping tern serve")
			if serr := sys.serve.stop(2 * time.Minute); serr != nil {
				e.logf("tern serve stop: %v", serr)
			}
		}
		if err != nil {
			fail("e2e", err)
		}
	}
	printResults(e, rows, os.Args[1:])
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
	roots := []root{{os.Getpid(), "harness (load generator)"}, {echo.cmd.Process.Pid, "echo server"}}
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

// printResults writes the results as Markdown.
func printResults(e *env, rows []row, args []string) {
	loop := fmt.Sprintf("closed loop of %d callers (open-loop runs: at most %d in flight)", e.load.concurrency, e.load.concurrency)
	if e.load.rate > 0 {
		loop = fmt.Sprintf("open loop at %.0f calls/s, at most %d in flight", e.load.rate, e.load.concurrency)
	}
	fmt.Printf("\nCommand: `go run ./bench/e2e %s`\n\n", strings.Join(args, " "))
	fmt.Printf("Machine: %s. Load average (1 min) when the harness started: %s.\n\n", machineLine(), e.loadBefore)
	client := "connect-go"
	if e.grpcGo {
		client = "grpc-go"
	}
	fmt.Printf("Load: unary Send, %s protocol over h2c from %s clients, %s over %d HTTP/2 connections, %d distinct one-part GSM-7 requests; "+
		"%v warmup, then %v measured per run.\n\n", e.protocol, client, loop, e.conns, len(e.reqs), e.load.warmup, e.load.duration)
	fmt.Println("| run | accepted msg/s | accept p50 | accept p99 | final msg/s | accept→final p50 | accept→final p99 | errors |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		final, f50, f99 := "—", "—", "—"
		if r.done > 0 {
			final, f50, f99 = fmt.Sprintf("%.0f", r.final), ms(r.f50), ms(r.f99)
		}
		nerr := 0
		for _, v := range r.errs {
			nerr += v
		}
		fmt.Printf("| %s | %.0f | %s | %s | %s | %s | %s | %d |\n", r.name, r.accepted, ms(r.p50), ms(r.p99), final, f50, f99, nerr)
	}
	fmt.Println()
	var echo, echoGRPC, e2e *row
	for i := range rows {
		switch {
		case strings.HasPrefix(rows[i].name, "echo Connect"):
			echo = &rows[i]
		case strings.HasPrefix(rows[i].name, "echo, gRPC"):
			echoGRPC = &rows[i]
		case strings.HasPrefix(rows[i].name, "tern end to end, closed"):
			e2e = &rows[i]
		}
	}
	if e2e != nil {
		fmt.Printf("- End to end, closed loop: %.0f final msg/s in the window (goal ≥ 10 000: %s).\n", e2e.final, verdict(e2e.final >= 10_000))
		for _, r := range rows {
			if r.rate > 0 {
				kept := "fell behind"
				if keptUp(r, r.rate) {
					kept = "kept up"
				}
				fmt.Printf("- End to end, open loop at %.0f/s: %.0f final msg/s in the window, %s (goal ≥ 10 000: %s).\n", r.rate, r.final, kept, verdict(r.final >= 10_000))
			}
		}
		if echo != nil && echo.accepted > 0 {
			ratio := e2e.accepted / echo.accepted
			fmt.Printf("- Accept throughput / echo baseline: %.2f (goal ≥ 0.5: %s).\n", ratio, verdict(ratio >= 0.5))
		}
		if echoGRPC != nil && echoGRPC.accepted > 0 {
			fmt.Printf("- Accept throughput / echo on grpc-go (baseline a′, not the goal's): %.2f.\n", e2e.accepted/echoGRPC.accepted)
		}
	}
	for _, r := range rows {
		fmt.Printf("- %s — CPU in cores over the window: %s; load average at its end %s.\n", short(r.name), r.cpu, r.load)
		for _, n := range r.notes {
			fmt.Printf("  - %s\n", n)
		}
		if len(r.errs) > 0 {
			keys := make([]string, 0, len(r.errs))
			for k := range r.errs {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				fmt.Printf("  - error ×%d: %s\n", r.errs[k], k)
			}
		}
	}
}

func short(name string) string {
	if i := strings.IndexAny(name, ":("); i > 0 {
		return strings.TrimSpace(name[:i])
	}
	return name
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

// ms prints a duration in milliseconds with two significant decimals.
func ms(d time.Duration) string {
	switch {
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2f ms", float64(d)/1e6)
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
