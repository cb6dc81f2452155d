package smscsim

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestSchedulerOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		s := newScheduler()
		var wg sync.WaitGroup
		wg.Go(func() { s.run(ctx) })

		start := time.Now()
		var mu sync.Mutex
		var got []string
		var at []time.Duration
		add := func(d time.Duration, name string) {
			s.at(start.Add(d), func() {
				mu.Lock()
				got = append(got, name)
				at = append(at, time.Since(start))
				mu.Unlock()
			})
		}
		add(30*time.Millisecond, "c")
		add(10*time.Millisecond, "a")
		add(20*time.Millisecond, "b1")
		add(20*time.Millisecond, "b2") // same time: insertion order
		add(0, "now")
		time.Sleep(25 * time.Millisecond)
		synctest.Wait()
		if n := s.len(); n != 1 {
			t.Errorf("%d events waiting at 25ms, want 1", n)
		}
		add(5*time.Millisecond, "late") // already due when added
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		cancel()
		wg.Wait()

		want := []string{"now", "a", "b1", "b2", "late", "c"}
		wantAt := []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 25 * time.Millisecond, 30 * time.Millisecond}
		if len(got) != len(want) {
			t.Fatalf("fired %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] || at[i] != wantAt[i] {
				t.Errorf("event %d: %s at %v, want %s at %v", i, got[i], at[i], want[i], wantAt[i])
			}
		}
	})
}
