package main

import (
	"cmp"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// splitParts sort a CPU sample by what its goroutine was doing: the first
// part whose pattern matches anywhere in the sample's stack takes it, so
// the order matters (GC before everything, the intake's steps before the
// HTTP server that runs them, the actors before the kafka-go calls they
// make).
var splitParts = []struct {
	name string
	re   *regexp.Regexp
}{
	{"GC background marking", regexp.MustCompile(`runtime\.gcBgMarkWorker`)},
	{"intake: phone parsing in pipeline.check (cache misses)", regexp.MustCompile(`core/phone\.`)},
	{"intake: producing to Kafka, caller side", regexp.MustCompile(`Intake\)\.produce`)},
	{"intake: the rest of Intake.Send", regexp.MustCompile(`Intake\)\.Send`)},
	{"API: HTTP/2 servers (grpc-go, net/http), Connect, auth", regexp.MustCompile(`net/http\.|connectrpc|google\.golang\.org/grpc|ternsms/tern/api\.`)},
	{"in-process broker (kfake)", regexp.MustCompile(`kfake`)},
	{"franz-go kgo clients: producers, and consumers outside the actors", regexp.MustCompile(`franz-go/pkg/kgo\.`)},
	{"actors: deliver (ledger calls, submit, event writes)", regexp.MustCompile(`pipeline\.\(\*actor\)\.launch|pipeline\.\(\*Consumer\)\.deliver`)},
	{"actors: loop, fetch, offset commits", regexp.MustCompile(`pipeline\.\(\*actor\)|kafka-go\.\(\*Generation\)|kafka-go\.\(\*ConsumerGroup\)`)},
	{"receipt joiner (its PostgreSQL join and event writes)", regexp.MustCompile(`ReceiptJoiner`)},
	{"ledger batchers and other PostgreSQL calls", regexp.MustCompile(`pipeline\.\(\*batcher|pipeline\.\(\*Ledger\)|jackc/`)},
	{"analytics writer (Kafka to ClickHouse)", regexp.MustCompile(`ternsms/tern/analytics\.|ClickHouse|ch-go`)},
	{"SMPP client (submits, receipts to ReceiptSink)", regexp.MustCompile(`carriers/smpp\.`)},
	{"simulator SMSC", regexp.MustCompile(`smscsim`)},
	{"kafka-go readers", regexp.MustCompile(`kafka-go\.\(\*reader\)|kafka-go\.\(\*Reader\)|kafka-go\.\(\*Conn\)`)},
	{"Go runtime: scheduler, netpoll, other", regexp.MustCompile(`runtime\.`)},
}

// splitProfile prints, for a CPU profile of tern serve, how its samples
// divide among splitParts.
func splitProfile(path string) error {
	out, err := exec.Command("go", "tool", "pprof", "-traces", path).Output()
	if err != nil {
		return fmt.Errorf("go tool pprof -traces %s: %w", path, err)
	}
	sums := map[string]time.Duration{}
	var total time.Duration
	for _, block := range strings.Split(string(out), "-----------+-------------------------------------------------------") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if len(lines) == 0 {
			continue
		}
		f := strings.Fields(lines[0])
		if len(f) < 2 {
			continue
		}
		d, err := parseSampleTime(f[0])
		if err != nil {
			continue
		}
		total += d
		name := "other"
		for _, p := range splitParts {
			if p.re.MatchString(block) {
				name = p.name
				break
			}
		}
		sums[name] += d
	}
	if total == 0 {
		return fmt.Errorf("%s: no samples", path)
	}
	names := make([]string, 0, len(sums))
	for k := range sums {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(sums[b], sums[a]) })
	fmt.Printf("CPU samples of %s, %.1f s in all:\n\n| part | share |\n|---|---|\n", path, total.Seconds())
	for _, k := range names {
		fmt.Printf("| %s | %.1f %% |\n", k, 100*float64(sums[k])/float64(total))
	}
	return nil
}

// parseSampleTime reads pprof's "10ms", "1.20s", "500us".
func parseSampleTime(s string) (time.Duration, error) {
	s = strings.Replace(s, "µs", "us", 1)
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"ms", time.Millisecond}, {"us", time.Microsecond}, {"ns", time.Nanosecond}, {"s", time.Second}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, err
			}
			return time.Duration(f * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("not a sample time: %q", s)
}
