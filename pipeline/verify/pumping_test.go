package verify

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/ternsms/tern/core/verify"
)

// TestPumpingBurst: a burst of verifications to one unusual prefix gets
// it blocked for the tenant, with a record and a metric, while another
// country's normal traffic still passes.
func TestPumpingBurst(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	if _, err := e.svc.SetPolicy(ctx, "shop-1", verify.Policy{Countries: []string{"US", "GB"}}); err != nil {
		t.Fatal(err)
	}
	usual := []string{"+1415555", "+1212555", "+1312555", "+1646555"}
	var blockedAt int
	for i := 1; i <= 30; i++ {
		_, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: fmt.Sprintf("+4474001%05d", i)})
		switch {
		case err == nil && blockedAt == 0:
		case errors.Is(err, verify.ErrPrefixBlocked):
			if blockedAt == 0 {
				blockedAt = i
			}
		default:
			t.Fatalf("start %d to the burst prefix: %v", i, err)
		}
		// Normal traffic to the US, a few numbers a minute, passes.
		if i%3 == 0 {
			to := fmt.Sprintf("%s%04d", usual[i%len(usual)], 100+i)
			if _, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: to}); err != nil {
				t.Fatalf("normal traffic to %s refused: %v", to, err)
			}
		}
		e.clock.advance(5 * time.Second)
	}
	if blockedAt != verify.DefaultMinBurst+1 {
		t.Fatalf("blocked at start %d, want %d", blockedAt, verify.DefaultMinBurst+1)
	}
	// Another prefix of the same country is not blocked.
	if _, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: "+447700123456"}); err != nil {
		t.Fatalf("another GB prefix: %v", err)
	}
	blocks, err := e.svc.Blocks(ctx, "shop-1")
	if err != nil || len(blocks) != 1 || blocks[0].Prefix != "+447400" || blocks[0].Verdict != verify.VerdictRate {
		t.Fatalf("Blocks = %+v, %v", blocks, err)
	}
	if got := e.counter(t, "tern_verify_prefix_blocks_total", "rate"); got != 1 {
		t.Fatalf("blocks counted %v", got)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		for _, ev := range e.events(t, ctx) {
			if ev.Kind == "prefix_blocked" && ev.Outcome == "rate" && ev.Prefix == "+447400" && ev.Region == "GB" {
				return nil
			}
		}
		return errors.New("no prefix_blocked record")
	})
	// The block lasts its time, then lifts.
	e.clock.advance(time.Hour)
	if _, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: "+447400100099"}); err != nil {
		t.Fatalf("after the block: %v", err)
	}
}

// TestPumpingConversion: many starts to a prefix and few approved block
// it; a prefix whose customers type their codes does not.
func TestPumpingConversion(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	p := verify.Policy{Countries: []string{"US", "FR"}, Pumping: verify.Pumping{MinStarted: 6, MinConversion: 0.5, MinBurst: 1000}}
	if _, err := e.svc.SetPolicy(ctx, "shop-1", p); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if _, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: fmt.Sprintf("+3361234%04d", i)}); err != nil {
			t.Fatal(err)
		}
		st, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: fmt.Sprintf("+1415555%04d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Check(ctx, CheckRequest{Tenant: "shop-1", ID: st.ID, Code: e.code(t, ctx, st.ID)}); err != nil {
			t.Fatal(err)
		}
		e.clock.advance(10 * time.Second)
	}
	e.clock.advance(verify.ConversionGrace)
	if _, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: "+33612349999"}); !errors.Is(err, verify.ErrPrefixBlocked) {
		t.Fatalf("low-conversion prefix: %v", err)
	}
	if _, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: "+14155559999"}); err != nil {
		t.Fatalf("converting prefix: %v", err)
	}
	if got := e.counter(t, "tern_verify_prefix_blocks_total", "conversion"); got != 1 {
		t.Fatalf("blocks counted %v", got)
	}
	if err := e.svc.Unblock(ctx, "shop-1", "+336123"); err != nil {
		t.Fatal(err)
	}
	if blocks, err := e.svc.Blocks(ctx, "shop-1"); err != nil || len(blocks) != 0 {
		t.Fatalf("after Unblock: %+v, %v", blocks, err)
	}
}
