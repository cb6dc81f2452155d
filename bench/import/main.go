// Command import measures a contact import: rows a second, and the peak
// resident memory of the process that takes it. The CSV file is made as
// it is sent, never whole in memory: -rows rows of phone, first name,
// last name, language, consent (yes for two rows in three), city and
// tags. It goes through the API as the CLI sends it (ImportContactsChunk,
// -chunk bytes a call, over HTTP/1.1 to a Connect handler in the same
// process), or with -via store straight to the store's ImportChunk.
//
// It needs PostgreSQL (TERN_POSTGRES_URL, as under `tern devenv`), in
// which it makes a database of its own. The consent ledger's topic is on
// -brokers, or on a broker in this process, which keeps every record in
// memory: to measure the import's own memory, run `tern kafka` apart.
//
//	go run ./cmd/tern devenv -- go run ./bench/import -rows 1000000
//	tern kafka -data /tmp/k -listen 127.0.0.1:19092 &
//	go run ./cmd/tern devenv -- go run ./bench/import -rows 1000000 -brokers 127.0.0.1:19092
//
// It prints one line for bench/RESULTS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "data rows in the file")
	chunk := flag.Int("chunk", 1<<20, "`bytes` a call")
	via := flag.String("via", "api", "api (ImportContactsChunk over HTTP) or store (ImportChunk)")
	brokers := flag.String("brokers", "", "Kafka `addresses` for the consent ledger's topic, comma-separated; empty starts a broker in this process, whose memory then counts in the peak RSS")
	flag.Parse()
	ctx := context.Background()
	base := os.Getenv("TERN_POSTGRES_URL")
	if base == "" {
		log.Fatal("TERN_POSTGRES_URL is not set: run under tern devenv")
	}
	h, cleanup, err := newHarness(ctx, base, *via, *brokers)
	if err != nil {
		log.Fatal(err)
	}
	defer cleanup()
	start := time.Now()
	res, err := h.run(ctx, *rows, *chunk)
	if err != nil {
		log.Fatal(err)
	}
	took := time.Since(start)
	broker := "broker in process"
	if *brokers != "" {
		broker = "broker apart"
	}
	fmt.Printf("| %d rows via %s, %d-byte chunks, %s | %.1f s | **%.0f rows/s** | peak RSS **%.0f MiB** | %.1f s CPU | %d imported, %d rejected | %s |\n",
		*rows, *via, *chunk, broker, took.Seconds(), float64(*rows)/took.Seconds(), float64(peakRSS())/(1<<20), cpuSeconds(), res.imported, res.rejected, machine())
}

// peakRSS is the process's peak resident set (VmHWM), in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb)
			return kb << 10
		}
	}
	return 0
}

// cpuSeconds is the user and system CPU time this process used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// machine describes the machine: `nproc`, the CPU model, the Go version
// and the load average when the run ended.
func machine() string {
	model := "unknown"
	if out, err := exec.Command("lscpu").Output(); err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "Model name" {
				model = strings.TrimSpace(v)
			}
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(load))
	la := "?"
	if len(f) > 0 {
		la = f[0]
	}
	return fmt.Sprintf("nproc %d, %s, %s, load average %s at the end", runtime.NumCPU(), model, runtime.Version(), la)
}

var discard = slog.New(slog.DiscardHandler)
