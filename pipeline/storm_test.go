package pipeline

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// TestErrorStorm: for 20 s the carrier answers 30 % of submits with
// ESME_RSYSERR. Every message still ends delivered or final with a reason,
// and submits keep flowing throughout: retries wait in the scheduler, not
// in the partition.
func TestErrorStorm(t *testing.T) {
	t.Parallel()
	p := startPipeline(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 5, ReceiptDelay: 10 * time.Millisecond},
		WithRetry(Backoff{Base: 200 * time.Millisecond, Max: 4 * time.Second, Attempts: 10}))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const storm, n = 20 * time.Second, 4000
	p.sim.SetErrors(0.3, smpp.StatusSystemError, storm)
	start := time.Now()
	ids := make([]string, 0, n)
	tick := time.NewTicker(storm / (n / 100))
	for i := 0; i < n; i += 100 {
		reqs := make([]Request, 100)
		for k := range reqs {
			reqs[k] = Request{TenantID: "shop", To: fmt.Sprintf("+1415555%04d", (i+k)%500+1000), Body: fmt.Sprintf("Storm message %d", i+k)}
		}
		out := make([]Result, len(reqs))
		if err := p.intake.Send(ctx, reqs, out); err != nil {
			t.Fatal(err)
		}
		for _, r := range out {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			ids = append(ids, r.ID)
		}
		<-tick.C
	}
	tick.Stop()
	evs := p.events(ctx, t, func(m map[string][]*recordv1.Event) bool {
		for _, id := range ids {
			if finalOf(m[id]) == nil {
				return false
			}
		}
		return true
	})
	var submits []time.Time
	retried := 0
	for _, id := range ids {
		f := finalOf(evs[id])
		switch core.Status(f.Status) {
		case core.StatusDelivered:
		case core.StatusFailed, core.StatusUndelivered, core.StatusExpired:
			if f.Reason == "" {
				t.Fatalf("%s ended %v without a reason", id, f)
			}
		default:
			t.Fatalf("%s ended %v", id, f)
		}
		for _, ev := range evs[id] {
			switch core.Status(ev.Status) {
			case core.StatusSubmitted:
				submits = append(submits, ev.Time.AsTime())
			case core.StatusQueued:
				retried++
			}
		}
	}
	if retried < n/10 {
		t.Fatalf("only %d retries: the storm did not hit", retried)
	}
	// Never stalled: during the storm no second passed without submits.
	sort.Slice(submits, func(i, j int) bool { return submits[i].Before(submits[j]) })
	for i := 1; i < len(submits); i++ {
		if gap := submits[i].Sub(submits[i-1]); submits[i].Before(start.Add(storm)) && gap > time.Second {
			t.Fatalf("no submit for %v at %v into the storm", gap, submits[i-1].Sub(start))
		}
	}
	t.Logf("%d messages, %d retries, last final %v after the start", n, retried, time.Since(start).Round(time.Second))
}
