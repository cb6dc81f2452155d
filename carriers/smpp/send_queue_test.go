package smpp

import (
	"context"
	"slices"
	"testing"

	"github.com/ternsms/tern/carriers"
)

// TestSendQueueOrder: parts to retry first, then new parts from the
// highest priority down, each in arrival order.
func TestSendQueueOrder(t *testing.T) {
	q := newSendQueue()
	parts := map[string]*part{}
	push := func(name string, prio carriers.Priority, retry bool) {
		p := &part{prio: prio}
		parts[name] = p
		q.push(p, retry)
	}
	push("promo 1", carriers.PriorityBulk, false)
	push("shipped 1", carriers.PriorityNormal, false)
	push("code 1", carriers.PriorityUrgent, false)
	push("promo 2", carriers.PriorityBulk, false)
	push("throttled", carriers.PriorityBulk, true)
	push("shipped 2", carriers.PriorityNormal, false)
	push("code 2", carriers.PriorityUrgent, false)
	push("withdrawn", carriers.PriorityUrgent, false)
	if !q.remove(parts["withdrawn"]) {
		t.Fatal("a queued part was not removed")
	}
	var got []string
	for q.len() > 0 {
		p, _ := q.pop(context.Background(), nil)
		for name, pp := range parts {
			if pp == p {
				got = append(got, name)
			}
		}
	}
	want := []string{"throttled", "code 1", "code 2", "shipped 1", "shipped 2", "promo 1", "promo 2"}
	if !slices.Equal(got, want) {
		t.Fatalf("sent in the order %v, want %v", got, want)
	}
}
