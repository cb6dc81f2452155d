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

// TestCampaignLeavesOTPsFree: a store without rate limits sends a
// campaign far beyond what the carrier's TPS lets through at once, then
// login codes. The codes wait neither behind the campaign's backlog in
// Kafka (marketing has a topic of its own), nor for a carrier slot, nor in
// the connection's TPS queue; the campaign still goes out in full.
func TestCampaignLeavesOTPsFree(t *testing.T) {
	t.Parallel()
	const tps, promoN, otpN = 10, 60, 3
	p := startPipelineTPS(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 7, ReceiptDelay: 10 * time.Millisecond}, tps,
		WithWindow(8), WithCarrierWindow(4))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	send := func(cat core.Category, prefix string, n int) []string {
		return p.sendAll(ctx, t, n, func(i int) Request {
			return Request{TenantID: "shop", To: fmt.Sprintf("%s%04d", prefix, i), Body: "Your code is 123456", Category: cat}
		})
	}
	promos := send(core.CategoryMarketing, "+1415558", promoN)
	otps := send(core.CategoryOTP, "+1415559", otpN)

	submitted := func(m map[string][]*recordv1.Event, ids []string) (n int) {
		for _, id := range ids {
			if slices.ContainsFunc(m[id], func(ev *recordv1.Event) bool { return core.Status(ev.Status) == core.StatusSubmitted }) {
				n++
			}
		}
		return n
	}
	allFinal := func(m map[string][]*recordv1.Event, ids []string) bool {
		return !slices.ContainsFunc(ids, func(id string) bool { return finalOf(m[id]) == nil })
	}
	otpsOut, promosSent := false, 0 // promosSent: submitted when the OTPs were
	evs := p.events(ctx, t, func(m map[string][]*recordv1.Event) bool {
		if !otpsOut {
			promosSent = submitted(m, promos)
			otpsOut = submitted(m, otps) == otpN
		}
		return allFinal(m, promos) && allFinal(m, otps)
	})
	if !otpsOut {
		t.Fatalf("the %d OTPs were never submitted", otpN)
	}
	if promosSent > promoN/4 {
		t.Fatalf("%d of %d campaign messages went out before the %d OTPs sent after them, want at most %d", promosSent, promoN, otpN, promoN/4)
	}
	for _, id := range slices.Concat(promos, otps) {
		if s := core.Status(finalOf(evs[id]).GetStatus()); s != core.StatusDelivered && s != core.StatusUndelivered {
			t.Fatalf("message %s ended %v: %v", id, s, evs[id])
		}
	}
	t.Logf("%d of %d campaign messages submitted when the %d OTPs were", promosSent, promoN, otpN)
}
