package router

import (
	"context"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
)

// startSim starts a simulator SMSC on a free loopback port for the test.
func startSim(t *testing.T) *smscsim.Server {
	t.Helper()
	srv, err := smscsim.New(smscsim.Config{Addr: "127.0.0.1:0"}, smscsim.WithLogger(testkit.EnvLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// simCarrier returns the config of a carrier served by sim, with
// timeouts short enough for tests: a silent SMSC costs 200ms per submit
// and is noticed within half a second.
func simCarrier(t *testing.T, name string, sim *smscsim.Server) CarrierConfig {
	t.Helper()
	c, err := ParseCarrier(name + "=smpp://tern:tern@" + sim.Addr() +
		"?request_timeout=200ms&enquire_link=300ms&reconnect_min=20ms&reconnect_max=100ms")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newSMPPRouter builds a router over real SMPP clients and runs them
// until the test ends.
func newSMPPRouter(t *testing.T, cfg Config, opts ...Option) *Router {
	t.Helper()
	dial := func(c CarrierConfig) (carriers.Carrier, error) {
		return smpp.NewClient(c.SMPP, smpp.WithLogger(testkit.EnvLogger()))
	}
	r, err := New(cfg, dial, append([]Option{WithLogger(testkit.EnvLogger())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Carriers() {
		client := c.(*smpp.Client)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- client.Run(ctx) }()
		t.Cleanup(func() {
			cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Second)
			client.Close(cctx)
			ccancel()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run %s: %v", client.Name(), err)
			}
		})
	}
	return r
}

// waitBound waits until every carrier of r has all its binds up.
func waitBound(t *testing.T, r *Router) {
	t.Helper()
	testkit.Eventually(t, 5*time.Second, func() error {
		for _, c := range r.Carriers() {
			if c.(*smpp.Client).Stats().Bound == 0 {
				return errNotBound(c.Name())
			}
		}
		return nil
	})
}

type errNotBound string

func (e errNotBound) Error() string { return string(e) + " not bound yet" }

// send picks a carrier for to and submits text through it, waiting at
// most a second.
func send(t *testing.T, r *Router, to, text string) (string, error) {
	t.Helper()
	c, err := r.Pick(to)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err = c.Submit(ctx, &carriers.Submission{To: to, Text: text})
	return c.Name(), err
}
