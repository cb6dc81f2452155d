package main

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc/status"
)

// loadConfig says how hard and how long to push.
type loadConfig struct {
	// concurrency is the callers: the calls in flight in a closed loop, the
	// most in flight in an open one.
	concurrency int
	// rate, if set, runs an open loop: calls start on a fixed schedule of
	// rate per second whatever the answers do, and latency counts from the
	// scheduled start, so a stall shows up in it. 0 runs a closed loop.
	rate     float64
	warmup   time.Duration
	duration time.Duration
	// atWindow, if set, is called as the measured window opens (start
	// true) and closes.
	atWindow func(start bool)
}

// call is one answered call.
type call struct {
	done time.Time
	lat  time.Duration
	id   string
}

// loadResult is what a load run saw. Calls answered between t0 and t1
// make the rate and the latencies; every answered call is in calls.
type loadResult struct {
	t0, t1 time.Time
	calls  []call
	errs   map[string]int
}

// inWindow returns the calls answered in the measured window and their
// sorted latencies.
func (r loadResult) inWindow() (n int, lats []time.Duration) {
	for _, c := range r.calls {
		if !c.done.Before(r.t0) && c.done.Before(r.t1) {
			lats = append(lats, c.lat)
		}
	}
	slices.Sort(lats)
	return len(lats), lats
}

// sender makes call number i and returns the id it was answered with.
type sender func(ctx context.Context, i int) (string, error)

// runLoad runs send for warmup plus duration. No call starts after the
// window closes; calls in flight then are waited for, not cancelled, so
// every message the system accepted is known to the harness.
func runLoad(ctx context.Context, cfg loadConfig, send sender) loadResult {
	start := time.Now()
	res := loadResult{t0: start.Add(cfg.warmup), errs: map[string]int{}}
	res.t1 = res.t0.Add(cfg.duration)
	stop := make(chan struct{})
	clockDone := make(chan struct{})
	go func() {
		defer close(clockDone)
		timer := time.NewTimer(cfg.warmup)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
		}
		if cfg.atWindow != nil {
			cfg.atWindow(true)
		}
		timer.Reset(time.Until(res.t1))
		select {
		case <-timer.C:
		case <-ctx.Done():
		}
		if cfg.atWindow != nil {
			cfg.atWindow(false)
		}
		close(stop)
	}()
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}

	// Closed loop: each caller takes the next number. Open loop: a pacer
	// hands out scheduled start times.
	var next atomic.Int64
	var tickets chan time.Time
	if cfg.rate > 0 {
		tickets = make(chan time.Time, 1<<20)
		go pace(cfg.rate, start, stop, tickets)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range cfg.concurrency {
		wg.Go(func() {
			calls := make([]call, 0, 1<<14)
			errs := map[string]int{}
			one := func(began time.Time) {
				i := int(next.Add(1) - 1)
				id, err := send(ctx, i)
				done := time.Now()
				if err != nil {
					errs[errKey(err)]++
					return
				}
				calls = append(calls, call{done: done, lat: done.Sub(began), id: id})
			}
			if tickets != nil {
				for t := range tickets {
					one(t)
				}
			} else {
				for !stopped() && ctx.Err() == nil {
					one(time.Now())
				}
			}
			mu.Lock()
			res.calls = append(res.calls, calls...)
			for k, v := range errs {
				res.errs[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	<-clockDone
	return res
}

// pace sends one scheduled start time per 1/rate from start until stop,
// waking every millisecond at most, then closes tickets. Start times
// stay on the schedule even when the callers fall behind.
func pace(rate float64, start time.Time, stop <-chan struct{}, tickets chan<- time.Time) {
	defer close(tickets)
	every := time.Duration(float64(time.Second) / rate)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	k := 0
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			for due := start.Add(time.Duration(k) * every); !due.After(now); due = start.Add(time.Duration(k) * every) {
				select {
				case tickets <- due:
				case <-stop:
					return
				}
				k++
			}
		}
	}
}

// errKey names an error for counting: its Connect or gRPC code, or its
// text.
func errKey(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Code().String() + ": " + truncate(ce.Message(), 80)
	}
	if st, ok := status.FromError(err); ok {
		return connect.Code(st.Code()).String() + ": " + truncate(st.Message(), 80)
	}
	return truncate(err.Error(), 80)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// percentile returns the p-th percentile (0 < p < 100) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)) * p / 100)
	return sorted[min(i, len(sorted)-1)]
}
