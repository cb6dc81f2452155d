// Command analytics measures tern's analytics reports on a tenant with
// many events, and how soon a receipt shows in a campaign report:
//
//  1. It loads -events synthetic events of one tenant (a third of them
//     messages, over 30 days, three countries, two carriers, three
//     senders, 30 campaigns sent in bursts of hours, one of them a third
//     of all traffic) into a ClickHouse database through
//     analytics.Store.Record, the writer's own path, and times the load.
//  2. It runs each report -reps times after one warm-up call and gives
//     their latency, and times one run of the list hygiene job (with a
//     real consent ledger when TERN_POSTGRES_URL is set).
//  3. Unless -visibility 0, it runs the analytics writer against an
//     in-process Kafka broker while -rate messages a second (each a
//     Submit, a SUBMITTED and a DELIVERED event) go through it, and
//     measures, for one probe message at a time, the time from its
//     DELIVERED event's produce to the campaign report counting it.
//
// Run it with a ClickHouse, e.g. `bin/tern devenv -- go run ./bench/analytics`.
// It prints a Markdown table for bench/RESULTS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"github.com/ternsms/tern/analytics"
)

func main() {
	addr := flag.String("clickhouse-addr", os.Getenv("TERN_CLICKHOUSE_ADDR"), "ClickHouse native address")
	db := flag.String("database", "tern_bench", "database to load into; dropped and created again unless -reuse")
	events := flag.Int("events", 10_000_000, "events to load")
	batch := flag.Int("batch", 30_000, "messages per Store.Record call")
	reps := flag.Int("reps", 20, "runs of each report after one warm-up")
	reuse := flag.Bool("reuse", false, "keep a database an earlier run loaded instead of loading")
	visibility := flag.Duration("visibility", time.Minute, "how long to probe receipt-to-report latency; 0 skips it")
	rate := flag.Int("rate", 2500, "messages a second through the writer while probing")
	flag.Parse()
	if *addr == "" {
		log.Fatal("no ClickHouse: set -clickhouse-addr or TERN_CLICKHOUSE_ADDR (bin/tern devenv -- go run ./bench/analytics)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *db, *events, *batch, *reps, *reuse, *visibility, *rate); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, addr, db string, events, batch, reps int, reuse bool, visibility time.Duration, rate int) error {
	logf := func(format string, args ...any) { log.Printf(format, args...) }
	if !reuse {
		if err := dropDatabase(ctx, addr, db); err != nil {
			return err
		}
	}
	// Reads as fast as the bench asks: the per-tenant limits are for
	// sharing a server, not for this.
	cfg := analytics.Config{Addr: addr, Database: db, TenantReads: 16, TenantReadRate: 10_000}
	s, err := analytics.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	var took time.Duration
	if !reuse {
		if events, took, err = load(ctx, s, events, batch, logf); err != nil {
			return err
		}
	}
	job, err := timeHygiene(ctx, s, logf)
	if err != nil {
		return err
	}
	results, err := timeReports(ctx, s, reps, logf)
	if err != nil {
		return err
	}
	var vis *visibilityResult
	if visibility > 0 {
		if vis, err = probeVisibility(ctx, addr, db+"_visibility", rate, visibility, logf); err != nil {
			return err
		}
	}
	printResults(events, took, reps, results, job, vis)
	return nil
}

func printResults(events int, took time.Duration, reps int, results []result, job jobResult, vis *visibilityResult) {
	fmt.Printf("\nMachine: %d CPUs, %s, %s; load average %s\n\n", runtime.NumCPU(), runtime.GOOS+"/"+runtime.GOARCH, runtime.Version(), loadAvg())
	if took > 0 {
		fmt.Printf("Loaded %d events in %s (%.0f events/s) through Store.Record.\n\n", events, took.Round(time.Second), float64(events)/took.Seconds())
	}
	fmt.Printf("| report (%d runs after a warm-up) | p50 | p95 | max | answer |\n|---|---|---|---|---|\n", reps)
	for _, r := range results {
		fmt.Printf("| %s | %s | %s | %s | %s |\n", r.name, ms(r.p50), ms(r.p95), ms(r.max), r.answer)
	}
	fmt.Printf("\nHygiene job, one run: %s for %d numbers, %d classified, %d suppressed (%s).\n",
		job.took.Round(time.Millisecond), job.numbers, job.classified, job.suppressed, job.suppressor)
	if vis != nil {
		fmt.Printf("\nReceipt to campaign report at %d msg/s through the writer (%d probes): p50 %s, p95 %s, p99 %s, max %s; the writer kept up: %v.\n",
			vis.rate, vis.probes, ms(vis.p50), ms(vis.p95), ms(vis.p99), ms(vis.max), vis.keptUp)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
