package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// printResults writes the results as Markdown: the command and machine,
// the table, the goals' verdicts with the CPU per message of the system
// under test, then each run's CPU and notes.
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
	printTable(rows)
	printVerdicts(rows)
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

// printTable prints one line per run. Its CPU column is the system under
// test's (tern serve with its broker, PostgreSQL and ClickHouse; the echo
// server; tern kafka), not the load generator's, per accepted message.
func printTable(rows []row) {
	fmt.Println("| run | accepted msg/s | accept p50 | accept p99 | final msg/s | CPU per msg, system under test | accept→final p50 | accept→final p99 | errors |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		final, f50, f99 := "—", "—", "—"
		if r.done > 0 {
			final, f50, f99 = fmt.Sprintf("%.0f", r.final), ms(r.f50), ms(r.f99)
		}
		nerr := 0
		for _, v := range r.errs {
			nerr += v
		}
		fmt.Printf("| %s | %.0f | %s | %s | %s | %s | %s | %s | %d |\n", r.name, r.accepted, ms(r.p50), ms(r.p99), final, cpuPerMsg(r), f50, f99, nerr)
	}
	fmt.Println()
}

// cpuPerMsg prints a run's system-under-test CPU per accepted message.
func cpuPerMsg(r row) string {
	us, ok := r.cpu.perMessage(r.accepted)
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.0f µs", us)
}

// printVerdicts prints the goals' verdicts, each end-to-end figure with
// the CPU per message it took.
func printVerdicts(rows []row) {
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
	for _, r := range rows {
		if !strings.HasPrefix(r.name, "tern end to end") {
			continue
		}
		what := "closed loop"
		if r.rate > 0 {
			what = fmt.Sprintf("open loop at %.0f/s", r.rate)
			if keptUp(r, r.rate) {
				what += ", kept up"
			} else {
				what += ", fell behind"
			}
		}
		fmt.Printf("- End to end, %s: **%.0f final msg/s** in the window (goal ≥ 10 000: %s); %s.\n", what, r.final, verdict(r.final >= 10_000), systemCPU(r))
	}
	if e2e != nil && echo != nil && echo.accepted > 0 {
		ratio := e2e.accepted / echo.accepted
		fmt.Printf("- Accept throughput / echo baseline: %.2f (goal ≥ 0.5: %s).\n", ratio, verdict(ratio >= 0.5))
	}
	if e2e != nil && echoGRPC != nil && echoGRPC.accepted > 0 {
		fmt.Printf("- Accept throughput / echo on grpc-go (baseline a′, not the goal's): %.2f.\n", e2e.accepted/echoGRPC.accepted)
	}
}

// systemCPU says what the system under test took in a run: its cores and
// CPU per accepted message, the load generator left out.
func systemCPU(r row) string {
	cores, ok := r.cpu.system()
	us, _ := r.cpu.perMessage(r.accepted)
	if !ok || r.accepted <= 0 {
		return "CPU of the system under test not measured (tern runs elsewhere)"
	}
	return fmt.Sprintf("**%.0f µs CPU per message**: %.2f cores for %.0f accepted msg/s in tern serve (with its broker), PostgreSQL and ClickHouse, the load generator left out", us, cores, r.accepted)
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
