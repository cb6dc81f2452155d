package pipeline

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"
)

// More functions at once than idle runners: each still runs, once; and
// close stops every runner, also one handed work after close.
func TestRunners(t *testing.T) {
	t.Parallel()
	r := newRunners()
	const n = 200
	release := make(chan struct{})
	var ran, running atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		r.Go(func() {
			defer wg.Done()
			running.Add(1)
			<-release // all n hold their runner at once
			ran.Add(1)
		})
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if got := running.Load(); got != n {
			return fmt.Errorf("%d functions running at once, want %d", got, n)
		}
		return nil
	})
	close(release)
	wg.Wait()

	// The n runners are idle now: more work reuses them.
	for range n {
		wg.Add(1)
		r.Go(func() { defer wg.Done(); ran.Add(1) })
	}
	wg.Wait()
	if got := ran.Load(); got != 2*n {
		t.Fatalf("%d runs, want %d", got, 2*n)
	}

	stopped := make(chan struct{})
	go func() { r.close(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("close did not stop the runners")
	}
	late := make(chan struct{})
	r.Go(func() { close(late) })
	<-late
	r.close() // a second close returns once the late runner stopped
}
