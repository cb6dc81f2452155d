package pipeline

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
)

// TestCarrierSlotsUrgentFirst: a freed slot goes to the urgent message
// waiting before the others waiting, the others in arrival order; one
// that gives up waiting leaves the count as it was.
func TestCarrierSlotsUrgentFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newCarrierSlots(2)
		ctx := t.Context()
		if !s.acquire(ctx, false) || !s.acquire(ctx, true) {
			t.Fatal("free slots not granted")
		}
		var mu sync.Mutex
		var order []string
		wait := func(name string, ctx context.Context, urgent bool) {
			go func() {
				if s.acquire(ctx, urgent) {
					mu.Lock()
					order = append(order, name)
					mu.Unlock()
				}
			}()
			synctest.Wait() // waiting, in this order
		}
		gone, giveUp := context.WithCancel(ctx)
		wait("promo 1", ctx, false)
		wait("promo 2", gone, false)
		wait("promo 3", ctx, false)
		wait("otp", ctx, true)
		giveUp()
		synctest.Wait()
		for range 3 {
			s.release()
			synctest.Wait()
		}
		if want := []string{"otp", "promo 1", "promo 3"}; !slices.Equal(order, want) {
			t.Fatalf("slots went to %v, want %v", order, want)
		}
		// promo 1 and promo 3 hold the two slots now.
		s.release()
		s.release()
		if s.free != 2 {
			t.Fatalf("%d slots free after all were released, want 2", s.free)
		}
	})
}
