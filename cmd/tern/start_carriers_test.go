package main

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core/testkit"
)

// plainCarrier is a carrier that holds no connection: nothing to run or
// close.
type plainCarrier struct{ name string }

func (c plainCarrier) Name() string { return c.name }
func (c plainCarrier) Submit(context.Context, *carriers.Submission) (carriers.Accepted, error) {
	return carriers.Accepted{}, errors.New("not for this test")
}

// connectedCarrier is a carrier with a lifecycle that records its steps.
type connectedCarrier struct {
	plainCarrier
	mu    sync.Mutex
	steps []string
}

func (c *connectedCarrier) step(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.steps = append(c.steps, s)
}

func (c *connectedCarrier) Steps() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.steps)
}

func (c *connectedCarrier) Run(ctx context.Context) error {
	c.step("run")
	<-ctx.Done()
	c.step("run returned")
	return nil
}

func (c *connectedCarrier) Close(context.Context) error {
	c.step("close")
	return nil
}

// TestRunCarriers: a carrier with a lifecycle runs until the stack stops
// and is closed (unbound) before its Run is cancelled; a carrier without
// one is left as it is, and starting does not panic on it.
func TestRunCarriers(t *testing.T) {
	t.Parallel()
	connected := &connectedCarrier{plainCarrier: plainCarrier{"smsc"}}
	st := &stack{log: testkit.Logger(t, slog.LevelWarn)}
	runCarriers(st, []carriers.Carrier{plainCarrier{"http"}, connected})
	testkit.Eventually(t, 10*time.Second, func() error {
		if got := connected.Steps(); !slices.Equal(got, []string{"run"}) {
			return errors.New("not running yet")
		}
		return nil
	})
	st.shutdown()
	if got, want := connected.Steps(), []string{"run", "close", "run returned"}; !slices.Equal(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
}
