package pipeline

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/core"
)

// holdsOf answers each campaign origin's hold from a map.
type holdsOf struct {
	mu   sync.Mutex
	held map[string]CampaignHold
}

func (h *holdsOf) CampaignHold(_, origin string) CampaignHold {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held[origin]
}

func (h *holdsOf) set(origin string, v CampaignHold) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held[origin] = v
}

// TestCampaignHolds: a queued message of a paused campaign waits, never
// submitted, until its campaign resumes; a canceled campaign's ends
// CANCELED without a submit; a running one's goes.
func TestCampaignHolds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newConsentEnv(t, ctx)
	holds := &holdsOf{held: map[string]CampaignHold{"campaign/paused": CampaignWait, "campaign/canceled": CampaignWithdraw}}
	sim := e.runConsumer(t, ctx, nil, WithCampaignHolds(holds))
	in, err := NewIntake(e.cfg, testIssuer(t), e.store)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	const paused, canceled, running = "+14155552701", "+14155552702", "+14155552703"
	mkt := func(to, origin string) Request {
		return Request{TenantID: "shop", To: to, Body: "Spring sale", Category: core.CategoryMarketing, Origin: origin, CampaignID: origin[len("campaign/"):]}
	}
	out := e.send(t, ctx, in, mkt(paused, "campaign/paused"), mkt(canceled, "campaign/canceled"), mkt(running, "campaign/running"))
	final := finalEvents(ctx, t, e.cfg, 2)
	wantFinal(t, final, out[1].ID, "canceled campaign", core.StatusCanceled, reasonCanceled)
	wantFinal(t, final, out[2].ID, "running campaign", core.StatusDelivered, "")
	if ev := final[out[0].ID]; ev != nil {
		t.Fatalf("paused campaign's message ended %v", ev)
	}
	for to, want := range map[string]int{paused: 0, canceled: 0, running: 1} {
		if n := sim.Submits(to, "Spring sale"); n != want {
			t.Errorf("%s: %d submits, want %d", to, n, want)
		}
	}
	holds.set("campaign/paused", CampaignGo)
	final = finalEvents(ctx, t, e.cfg, 1)
	wantFinal(t, final, out[0].ID, "resumed campaign", core.StatusDelivered, "")
	if n := sim.Submits(paused, "Spring sale"); n != 1 {
		t.Errorf("resumed campaign's message: %d submits, want 1", n)
	}
}
