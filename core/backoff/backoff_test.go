package backoff

import (
	"testing"
	"time"
)

func TestCeiling(t *testing.T) {
	t.Parallel()
	e := Exponential{Base: 100 * time.Millisecond, Max: time.Second}
	tests := []struct {
		name string
		e    Exponential
		n    int
		want time.Duration
	}{
		{"first", e, 1, 100 * time.Millisecond},
		{"below one counts as one", e, 0, 100 * time.Millisecond},
		{"doubles", e, 3, 400 * time.Millisecond},
		{"last below the cap", e, 4, 800 * time.Millisecond},
		{"capped", e, 5, time.Second},
		{"far along", Exponential{Base: time.Second, Max: time.Hour}, 71, time.Hour},
		{"past any shift", Exponential{Base: 1, Max: 1 << 62}, 1000, 1 << 62},
		{"base above max", Exponential{Base: time.Minute, Max: time.Second}, 1, time.Second},
		{"zero base", Exponential{Max: time.Second}, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.e.Ceiling(tt.n); got != tt.want {
				t.Errorf("Ceiling(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

// TestEqualJitter checks that each wait keeps the lower half of its
// ceiling and draws the upper half.
func TestEqualJitter(t *testing.T) {
	t.Parallel()
	e := Exponential{Base: 100 * time.Millisecond, Max: time.Second}
	tests := []struct {
		name string
		n    int
		u    float64
		want time.Duration
	}{
		{"lowest draw", 1, 0, 50 * time.Millisecond},
		{"middle draw", 2, 0.5, 150 * time.Millisecond},
		{"high draw", 3, 0.999, 399800 * time.Microsecond},
		{"capped, lowest", 6, 0, 500 * time.Millisecond},
		{"capped, high", 6, 0.999, 999500 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := e.At(tt.n, tt.u); got != tt.want {
				t.Errorf("At(%d, %v) = %v, want %v", tt.n, tt.u, got, tt.want)
			}
		})
	}
}

func TestDelayWithinUpperHalf(t *testing.T) {
	t.Parallel()
	e := Exponential{Base: 100 * time.Millisecond, Max: time.Second}
	for n := range 12 {
		c := e.Ceiling(n)
		for range 200 {
			if d := e.Delay(n); d < c/2 || d > c {
				t.Fatalf("Delay(%d) = %v, want %v to %v", n, d, c/2, c)
			}
		}
	}
}
