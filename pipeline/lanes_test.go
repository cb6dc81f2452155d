package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
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

// TestLoginCodeValidity: login codes asked to be valid for a few seconds
// wait behind a rate limit; those whose turn comes after their validity
// end EXPIRED with the reason instead of arriving late.
func TestLoginCodeValidity(t *testing.T) {
	t.Parallel()
	const limit, n, validity = 1, 6, 2500 * time.Millisecond
	p := startPipeline(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 9, ReceiptDelay: 10 * time.Millisecond},
		WithLimits(NewLimits(map[string]TenantLimit{"shop": {Rate: limit}})))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	codes := p.sendAll(ctx, t, n, func(i int) Request {
		return Request{TenantID: "shop", To: fmt.Sprintf("+1415557%04d", i), Body: "Your code is 123456", Category: core.CategoryOTP, Validity: validity}
	})
	evs := p.events(ctx, t, func(m map[string][]*recordv1.Event) bool { return allFinalEvents(m, codes) })
	sent, expired := 0, 0
	for i, id := range codes {
		final := finalOf(evs[id])
		switch s := core.Status(final.Status); s {
		case core.StatusDelivered, core.StatusUndelivered:
			sent++
		case core.StatusExpired:
			if !strings.Contains(final.Reason, "validity period ends before the message could go out (rate_limit") {
				t.Fatalf("code %d expired with reason %q", i, final.Reason)
			}
			expired++
		default:
			t.Fatalf("code %d ended %v: %v", i, s, evs[id])
		}
	}
	// At 1 a second, the turns after the third come after the validity.
	if sent == 0 || expired < n-3 {
		t.Fatalf("%d codes sent and %d expired, want at least one sent and %d expired", sent, expired, n-3)
	}
	t.Logf("%d of %d codes sent, %d expired", sent, n, expired)
}
