package pipeline

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// TestBacklogsLeaveUrgentFree: a store without rate limits sends a burst
// far beyond what the carrier's TPS lets through at once, then a few
// messages of a more urgent kind. Those wait neither behind the burst's
// backlog in Kafka (each kind has a topic of its own), nor for a carrier
// slot, nor in the connection's TPS queue; the burst still goes out in
// full.
func TestBacklogsLeaveUrgentFree(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		burst, urgent core.Category
	}{
		{"login codes after a campaign", core.CategoryMarketing, core.CategoryOTP},
		{"login codes after order updates", core.CategoryTransactional, core.CategoryOTP},
		{"order updates after a campaign", core.CategoryMarketing, core.CategoryTransactional},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			testBacklogLeavesUrgentFree(t, tt.burst, tt.urgent)
		})
	}
}

func testBacklogLeavesUrgentFree(t *testing.T, burstCat, urgentCat core.Category) {
	const tps, burstN, urgentN = 10, 60, 3
	p := startPipelineTPS(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 7, ReceiptDelay: 10 * time.Millisecond}, tps,
		WithWindow(8), WithCarrierWindow(4))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	send := func(cat core.Category, prefix string, n int) []string {
		return p.sendAll(ctx, t, n, func(i int) Request {
			return Request{TenantID: "shop", To: fmt.Sprintf("%s%04d", prefix, i), Body: "Hello from the shop", Category: cat}
		})
	}
	burst := send(burstCat, "+1415558", burstN)
	urgent := send(urgentCat, "+1415559", urgentN)

	urgentOut, burstSent := false, 0 // burstSent: submitted when the urgent ones were
	evs := p.events(ctx, t, func(m map[string][]*recordv1.Event) bool {
		if !urgentOut {
			burstSent = submitted(m, burst)
			urgentOut = submitted(m, urgent) == urgentN
		}
		return allFinalEvents(m, burst) && allFinalEvents(m, urgent)
	})
	if !urgentOut {
		t.Fatalf("the %d later messages were never submitted", urgentN)
	}
	if burstSent > burstN/4 {
		t.Fatalf("%d of %d earlier messages went out before the %d later, more urgent ones, want at most %d", burstSent, burstN, urgentN, burstN/4)
	}
	for _, id := range slices.Concat(burst, urgent) {
		if s := core.Status(finalOf(evs[id]).GetStatus()); s != core.StatusDelivered && s != core.StatusUndelivered {
			t.Fatalf("message %s ended %v: %v", id, s, evs[id])
		}
	}
	t.Logf("%d of %d earlier messages submitted when the %d urgent ones were", burstSent, burstN, urgentN)
}
