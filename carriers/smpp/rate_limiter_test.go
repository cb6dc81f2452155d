package smpp

import (
	"testing"
	"testing/synctest"
	"time"
)

// carrierBucket is a carrier's throttle: rate a second, bursts of burst.
type carrierBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *carrierBucket) take(now time.Time) bool {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// drive sends as fast as l allows for d against carrier, pausing after
// each throttle as a bind does, and returns the accepted and throttled
// counts.
func drive(l *rateLimiter, carrier *carrierBucket, d, pause time.Duration) (accepted, throttled int) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if w := l.reserve(); w > 0 {
			time.Sleep(w)
		}
		now := time.Now()
		if carrier.take(now) {
			l.accepted()
			accepted++
			continue
		}
		throttled++
		l.throttled(now)
		time.Sleep(pause)
	}
	return accepted, throttled
}

func TestRateLimiterAdapts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cap        float64 // configured TPS, 0 for none
		limit      float64 // the carrier's
		burst      float64
		minShare   float64 // of limit, accepted over the first 30s
		maxThrottl float64 // share of attempts
	}{
		{"cap above the limit", 400, 200, 20, 0.8, 0.05},
		{"no cap", 0, 200, 20, 0.8, 0.05},
		{"cap far above", 5000, 300, 30, 0.8, 0.05},
		{"tight bucket", 400, 150, 1, 0.8, 0.05},
		{"slow carrier", 50, 10, 1, 0.8, 0.05},
		// Without a cap and with no burst to measure, the search starts
		// from ten a second and doubles: seconds at the start.
		{"no cap, tight bucket", 0, 500, 1, 0.6, 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := newRateLimiter(tt.cap)
				carrier := &carrierBucket{rate: tt.limit, burst: tt.burst, tokens: tt.burst, last: time.Now()}
				acc, thr := drive(l, carrier, 30*time.Second, 200*time.Millisecond)
				rate := float64(acc) / 30
				share := float64(thr) / float64(acc+thr)
				t.Logf("accepted %.1f/s of %.0f, throttled %d of %d (%.2f%%), rate now %.1f", rate, tt.limit, thr, acc+thr, 100*share, l.current())
				if rate < tt.minShare*tt.limit {
					t.Errorf("accepted %.1f/s, want at least %.1f", rate, tt.minShare*tt.limit)
				}
				if share > tt.maxThrottl {
					t.Errorf("throttled %.2f%% of attempts, want at most %.0f%%", 100*share, 100*tt.maxThrottl)
				}
			})
		})
	}
}

func TestRateLimiterRecoversWhenTheCarrierAllowsMore(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := newRateLimiter(400)
		carrier := &carrierBucket{rate: 100, burst: 10, tokens: 10, last: time.Now()}
		drive(l, carrier, 20*time.Second, 200*time.Millisecond)
		if r := l.current(); r > 110 {
			t.Fatalf("rate %.1f after 20s against a 100/s carrier", r)
		}
		carrier.rate, carrier.burst = 1000, 100
		drive(l, carrier, 60*time.Second, 200*time.Millisecond)
		if r := l.current(); r < 0.99*400*capHeadroom {
			t.Errorf("rate %.1f a minute after the carrier stopped throttling, want back at the cap", r)
		}
	})
}

// TestRateLimiterCap checks that no one-second window holds more than
// the cap, bursts included.
func TestRateLimiterCap(t *testing.T) {
	t.Parallel()
	for _, tps := range []float64{1, 7, 100, 2500} {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := newRateLimiter(tps)
				var sends []time.Time
				end := time.Now().Add(5 * time.Second)
				for time.Now().Before(end) {
					if w := l.reserve(); w > 0 {
						time.Sleep(w)
					}
					sends = append(sends, time.Now())
					if len(sends)%max(1, int(tps/2)) == 0 {
						time.Sleep(300 * time.Millisecond) // idle, then a burst
					}
				}
				for i, j := 0, 0; j < len(sends); j++ {
					for sends[j].Sub(sends[i]) >= time.Second {
						i++
					}
					if n := j - i + 1; float64(n) > tps {
						t.Fatalf("cap %v: %d sends within one second ending %v", tps, n, sends[j].Sub(sends[0]))
					}
				}
				// Half a second's worth, then 0.3s idle: about 3 seconds' worth.
				if got, want := float64(len(sends)), 2.5*tps; got < want {
					t.Errorf("cap %v: only %v sends in 5s", tps, got)
				}
			})
		})
	}
}
