package smscsim

import (
	"slices"
	"testing"
	"time"
)

func TestLatencyDistribution(t *testing.T) {
	t.Parallel()
	tests := []struct {
		median, p99 time.Duration
	}{
		{10 * time.Millisecond, 50 * time.Millisecond},
		{time.Millisecond, 2 * time.Millisecond},
		{5 * time.Millisecond, 0}, // fixed
	}
	r := newLockedRand(1)
	for _, tt := range tests {
		f := faults{latency: tt.median, latencyP99: tt.p99}
		const n = 20000
		got := make([]time.Duration, n)
		for i := range got {
			got[i] = f.drawLatency(r)
		}
		slices.Sort(got)
		within := func(v, want time.Duration, tol float64) bool {
			return float64(v) >= float64(want)*(1-tol) && float64(v) <= float64(want)*(1+tol)
		}
		if !within(got[n/2], tt.median, 0.05) {
			t.Errorf("median %v, want %v", got[n/2], tt.median)
		}
		if want := max(tt.p99, tt.median); !within(got[n*99/100], want, 0.1) {
			t.Errorf("p99 %v, want %v", got[n*99/100], want)
		}
	}
}
