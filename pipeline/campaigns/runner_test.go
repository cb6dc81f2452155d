package campaigns

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/ternsms/tern/core/campaign"
	"github.com/ternsms/tern/pipeline/contacts"
)

// run starts a runner on s until the test ends.
func run(t *testing.T, ctx context.Context, s *Store) *Runner {
	t.Helper()
	r := s.NewRunner()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(rctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// idle waits until no instance works on the campaign: its lock is free.
func idle(t *testing.T, ctx context.Context, s *Store, id string) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, func() error {
		conn, ok, err := s.lock(ctx, "shop-1", id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("campaign %s still worked on", id)
		}
		s.unlock(conn, "shop-1", id)
		return nil
	})
}

// TestPauseResume: a pause stops expansion after at most the step in
// flight and holds the campaign's queued messages (States); a resume
// carries on where it stopped, and every eligible contact gets exactly
// one message.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	eligible := e.seed(t, ctx, 400)
	tp := saleTemplate(t, ctx, e)
	s := e.open(t, ctx, testLinks, nil)
	states, err := s.NewStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, ctx, s)
	c, err := s.Create(ctx, Campaign{Tenant: "shop-1", Name: "slow", TemplateID: tp.ID, Rate: 200})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, "shop-1", c.ID, campaign.Launch); err != nil {
		t.Fatal(err)
	}
	r.Poke()
	testkit.Eventually(t, 30*time.Second, func() error {
		got, err := s.Get(ctx, "shop-1", c.ID)
		if err != nil || got.Counts.Queued == 0 {
			return fmt.Errorf("nothing queued yet: %+v, %v", got.Counts, err)
		}
		return nil
	})
	paused, err := s.Act(ctx, "shop-1", c.ID, campaign.Pause)
	if err != nil || paused.State != campaign.Paused {
		t.Fatalf("Pause = %+v, %v", paused, err)
	}
	idle(t, ctx, s, c.ID)
	stopped, _ := s.Get(ctx, "shop-1", c.ID)
	if step := int64(50); stopped.Counts.Expanded > paused.Counts.Expanded+step || stopped.Counts.Queued >= int64(len(eligible)) {
		t.Fatalf("after the pause %d expanded (%d when paused, a step is %d), %d queued of %d",
			stopped.Counts.Expanded, paused.Counts.Expanded, step, stopped.Counts.Queued, len(eligible))
	}
	if err := states.reload(ctx); err != nil || states.Check("shop-1", Origin(c.ID)) != Wait || states.Check("shop-1", "") != Go {
		t.Fatalf("States of a paused campaign: %v, %v", states.Check("shop-1", Origin(c.ID)), err)
	}
	if _, err := s.Act(ctx, "shop-1", c.ID, campaign.Resume); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 60*time.Second, func() error {
		got, err := s.Get(ctx, "shop-1", c.ID)
		if err != nil || got.State != campaign.Completed {
			return fmt.Errorf("not completed: %+v, %v", got, err)
		}
		return nil
	})
	if err := states.reload(ctx); err != nil || states.Check("shop-1", Origin(c.ID)) != Go {
		t.Fatalf("States of a resumed campaign: %v, %v", states.Check("shop-1", Origin(c.ID)), err)
	}
	recs := e.submitted(t, ctx)
	if len(recs) != len(eligible) {
		t.Fatalf("%d recipients, want %d", len(recs), len(eligible))
	}
	for to, byID := range recs {
		if len(byID) != 1 {
			t.Fatalf("%s got %d messages", to, len(byID))
		}
	}
}

// TestCancel: a cancel stops expansion and withdraws every queued message
// no carrier has had (here none has: no pipeline consumes them).
func TestCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	eligible := e.seed(t, ctx, 400)
	tp := saleTemplate(t, ctx, e)
	s := e.open(t, ctx, Config{Step: 100}, nil)
	states, err := s.NewStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, ctx, s)
	c, err := s.Create(ctx, Campaign{Tenant: "shop-1", Name: "oops", TemplateID: tp.ID, Rate: 200, Audience: contacts.Audience{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, "shop-1", c.ID, campaign.Launch); err != nil {
		t.Fatal(err)
	}
	r.Poke()
	testkit.Eventually(t, 30*time.Second, func() error {
		got, _ := s.Get(ctx, "shop-1", c.ID)
		if got.Counts.Queued == 0 {
			return fmt.Errorf("nothing queued yet")
		}
		return nil
	})
	if _, err := s.Act(ctx, "shop-1", c.ID, campaign.Cancel); err != nil {
		t.Fatal(err)
	}
	var got Campaign
	testkit.Eventually(t, 60*time.Second, func() error {
		got, err = s.Get(ctx, "shop-1", c.ID)
		if err != nil || got.Counts.Withdrawn+got.Counts.NotWithdrawn != got.Counts.Queued || got.Counts.Queued == 0 {
			return fmt.Errorf("not withdrawn yet: %+v, %v", got.Counts, err)
		}
		var done bool
		if err := s.pool.QueryRow(ctx, `SELECT withdraw_done FROM campaigns WHERE id = $1`, c.ID).Scan(&done); err != nil || !done {
			return fmt.Errorf("withdrawal not done: %v", err)
		}
		return nil
	})
	if got.State != campaign.Canceled || got.Counts.Withdrawn != got.Counts.Queued || got.Counts.Queued >= int64(len(eligible)) {
		t.Fatalf("canceled campaign %+v", got)
	}
	var canceled int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE state = 4`).Scan(&canceled); err != nil || canceled != got.Counts.Queued {
		t.Fatalf("the delivery ledger holds %d canceled messages, %v; want %d", canceled, err, got.Counts.Queued)
	}
	if err := states.reload(ctx); err != nil || states.Check("shop-1", Origin(c.ID)) != Withdraw {
		t.Fatalf("States of a canceled campaign: %v, %v", states.Check("shop-1", Origin(c.ID)), err)
	}
	// Canceling again changes nothing.
	if again, err := s.Act(ctx, "shop-1", c.ID, campaign.Cancel); err != nil || again.Counts != got.Counts {
		t.Fatalf("second cancel: %+v, %v", again, err)
	}
}
