package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"p50 of ten", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 50, 6 * time.Millisecond},
		{"p99 of ten is the last", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestParseSampleTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"10ms", 10 * time.Millisecond, true},
		{"1.20s", 1200 * time.Millisecond, true},
		{"500us", 500 * time.Microsecond, true},
		{"500µs", 500 * time.Microsecond, true},
		{"github.com/x", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSampleTime(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseSampleTime(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestJoined(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	t1 := t0.Add(time.Second)
	calls := []call{
		{done: t0.Add(-time.Millisecond), id: "warmup"},     // before the window
		{done: t0.Add(100 * time.Millisecond), id: "a"},     // seen 50 ms later
		{done: t0.Add(200 * time.Millisecond), id: "b"},     // seen before its answer
		{done: t0.Add(300 * time.Millisecond), id: "never"}, // not seen
		{done: t1, id: "after"},                             // after the window
	}
	seen := map[string]time.Time{
		"warmup": t0,
		"a":      t0.Add(150 * time.Millisecond),
		"b":      t0.Add(190 * time.Millisecond),
		"after":  t1.Add(time.Millisecond),
	}
	lats, missing := joined(calls, seen, t0, t1)
	if missing != 1 {
		t.Errorf("missing = %d, want 1", missing)
	}
	if len(lats) != 2 || lats[0] != 0 || lats[1] != 50*time.Millisecond {
		t.Errorf("latencies = %v, want [0s 50ms]", lats)
	}
}

// TestRunLoadOpenLoop checks that an open loop keeps to its schedule and
// counts latency from the scheduled start.
func TestRunLoadOpenLoop(t *testing.T) {
	t.Parallel()
	cfg := loadConfig{concurrency: 4, rate: 200, warmup: 100 * time.Millisecond, duration: 500 * time.Millisecond}
	var windows []bool
	cfg.atWindow = func(start bool) { windows = append(windows, start) }
	res := runLoad(context.Background(), cfg, func(ctx context.Context, i int) (string, error) {
		time.Sleep(time.Millisecond)
		return "", nil
	})
	n, lats := res.inWindow()
	if n < 80 || n > 120 {
		t.Errorf("%d calls in a 500 ms window at 200/s, want about 100", n)
	}
	if len(lats) > 0 && lats[0] < time.Millisecond {
		t.Errorf("fastest latency %v, want at least the 1 ms each call takes", lats[0])
	}
	if len(windows) != 2 || !windows[0] || windows[1] {
		t.Errorf("atWindow calls %v, want [true false]", windows)
	}
}

func TestKeptUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    row
		want bool
	}{
		{"on rate, a second behind", row{final: 3990, behind: 4000}, true},
		{"3 % short", row{final: 3880, behind: 4000}, true},
		{"4 % short", row{final: 3830, behind: 4000}, false},
		{"more than 2 s behind", row{final: 4000, behind: 8001}, false},
		{"a call failed", row{final: 4000, behind: 100, errs: map[string]int{"unavailable": 1}}, false},
	}
	for _, tt := range tests {
		if got := keptUp(tt.r, 4000); got != tt.want {
			t.Errorf("%s: keptUp %v, want %v", tt.name, got, tt.want)
		}
	}
}

// After a search, a window that falls behind is run again a tenth slower,
// at most three windows in all; a rate given by hand runs once.
func TestHoldRate(t *testing.T) {
	t.Parallel()
	const sustained = 5000 // the fake system keeps up with this much
	run := func(tried *[]float64) func(float64, int) (row, error) {
		return func(rate float64, try int) (row, error) {
			if try != len(*tried)+1 {
				t.Errorf("try %d after %d runs", try, len(*tried))
			}
			*tried = append(*tried, rate)
			return row{rate: rate, final: min(rate, sustained), behind: int(rate)}, nil
		}
	}
	tests := []struct {
		name  string
		rate  float64
		step  bool
		tried []float64
	}{
		{"kept up at once", 4000, true, []float64{4000}},
		{"kept up at the third", 6000, true, []float64{6000, 5400, 4850}},
		{"never kept up", 8000, true, []float64{8000, 7200, 6500}},
		{"rate by hand", 6000, false, []float64{6000}},
	}
	for _, tt := range tests {
		var tried []float64
		rows, err := holdRate(tt.rate, tt.step, run(&tried))
		if err != nil || len(rows) != len(tt.tried) || fmt.Sprint(tried) != fmt.Sprint(tt.tried) {
			t.Errorf("%s: ran at %v (%d rows, %v), want %v", tt.name, tried, len(rows), err, tt.tried)
		}
	}
	// A run that fails ends the steps with the rows before it.
	rows, err := holdRate(6000, true, func(rate float64, try int) (row, error) {
		if try == 2 {
			return row{}, errors.New("tern serve exited")
		}
		return row{rate: rate, final: 1}, nil
	})
	if err == nil || len(rows) != 1 {
		t.Errorf("failing second run: %d rows, %v", len(rows), err)
	}
}

func TestCPUPerMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		byName    map[string]float64
		rate      float64
		wantCores float64
		wantUS    float64
		wantOK    bool
	}{
		{"the harness left out", map[string]float64{"harness (load generator, events reader)": 0.4, "tern serve": 1.1, "postgres backends": 0.3, "clickhouse-serv": 0.1}, 5000, 1.5, 300, true},
		{"only the harness watched", map[string]float64{"harness (load generator)": 0.4}, 5000, 0, 0, false},
		{"no messages", map[string]float64{"echo server": 0.9}, 0, 0.9, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := cpuUse{machine: 2, byName: tt.byName}
			if cores, _ := u.system(); math.Abs(cores-tt.wantCores) > 1e-9 {
				t.Errorf("system() = %v cores, want %v", cores, tt.wantCores)
			}
			us, ok := u.perMessage(tt.rate)
			if ok != tt.wantOK || math.Abs(us-tt.wantUS) > 1e-6 {
				t.Errorf("perMessage(%v) = %v µs, %v; want %v µs, %v", tt.rate, us, ok, tt.wantUS, tt.wantOK)
			}
		})
	}
}
