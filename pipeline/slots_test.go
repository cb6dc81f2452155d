package pipeline

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
)

// TestCarrierSlotsByPriority: a freed slot goes to the waiting message of
// the highest priority, equal ones in arrival order; one that gives up
// waiting leaves the count as it was.
func TestCarrierSlotsByPriority(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newCarrierSlots(2)
		ctx := t.Context()
		if !s.acquire(ctx, carriers.PriorityBulk) || !s.acquire(ctx, carriers.PriorityUrgent) {
			t.Fatal("free slots not granted")
		}
		var mu sync.Mutex
		var order []string
		wait := func(name string, ctx context.Context, cat core.Category) {
			go func() {
				if s.acquire(ctx, priorityOf(cat)) {
					mu.Lock()
					order = append(order, name)
					mu.Unlock()
				}
			}()
			synctest.Wait() // waiting, in this order
		}
		gone, giveUp := context.WithCancel(ctx)
		wait("promo 1", ctx, core.CategoryMarketing)
		wait("promo 2", gone, core.CategoryMarketing)
		wait("promo 3", ctx, core.CategoryMarketing)
		wait("shipped", ctx, core.CategoryTransactional)
		wait("code", ctx, core.CategoryOTP)
		giveUp()
		synctest.Wait()
		for range 4 {
			s.release()
			synctest.Wait()
		}
		if want := []string{"code", "shipped", "promo 1", "promo 3"}; !slices.Equal(order, want) {
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
