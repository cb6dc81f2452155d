package smpp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
)

func TestCloseUnbinds(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{Latency: 30 * time.Millisecond})
	c, err := smpp.NewClient(smpp.ClientConfig{Name: "sim", Addr: sim.Addr(), SystemID: "tern"}, smpp.WithLogger(testkit.EnvLogger()))
	if err != nil {
		t.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- c.Run(t.Context()) }()

	// Submits under way when Close starts are answered, not cut off.
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = c.Submit(t.Context(), &carriers.Submission{To: fmt.Sprintf("+4930%06d", i), Text: "bye"})
		})
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := sim.Stats().SubmitSM; n < len(errs) {
			return fmt.Errorf("%d submit_sm reached the simulator", n)
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("submit %d under way at Close: %v", i, err)
		}
	}
	if err := <-runDone; err != nil {
		t.Errorf("Run: %v", err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if st := sim.Stats(); st.Unbinds != 1 || st.Sessions != 0 {
			return fmt.Errorf("stats %+v, want 1 unbind and no session", st)
		}
		return nil
	})
	if err := c.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := c.Submit(ctx, &carriers.Submission{To: "+4930000001", Text: "late"}); !errors.Is(err, carriers.ErrClosed) {
		t.Errorf("Submit after Close: %v, want ErrClosed", err)
	}
}

func TestRunEndUnbinds(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{})
	c, err := smpp.NewClient(smpp.ClientConfig{Name: "sim", Addr: sim.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	runDone := make(chan error, 1)
	go func() { runDone <- c.Run(ctx) }()
	if _, err := c.Submit(t.Context(), &carriers.Submission{To: "+4930000002", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-runDone; err != nil {
		t.Errorf("Run: %v", err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if st := sim.Stats(); st.Unbinds != 1 {
			return fmt.Errorf("stats %+v, want 1 unbind", st)
		}
		return nil
	})
}

func TestSimulatorRestart(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{Latency: time.Hour})
	addr := sim.Addr()
	c := startClient(t, smpp.ClientConfig{Addr: addr})

	const n = 10
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := c.Submit(t.Context(), &carriers.Submission{To: fmt.Sprintf("+4420%06d", i), Text: "on the wire"})
			errs <- err
		}()
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if got := sim.Stats().SubmitSM; got != n {
			return fmt.Errorf("%d of %d submit_sm reached the simulator", got, n)
		}
		return nil
	})
	sim.Close()
	for range n {
		if err := <-errs; !errors.Is(err, carriers.ErrInDoubt) {
			t.Errorf("submit on the wire when the SMSC died: %v, want ErrInDoubt", err)
		}
	}

	// While the SMSC is down a submit waits for a bind and reports the
	// carrier unavailable; nothing was sent, so it is not in doubt.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	_, err := c.Submit(ctx, &carriers.Submission{To: "+4420000000", Text: "nobody home"})
	cancel()
	if !errors.Is(err, carriers.ErrUnavailable) || errors.Is(err, carriers.ErrInDoubt) || !carriers.IsRetriable(err) {
		t.Errorf("submit while down: %v, want retriable ErrUnavailable", err)
	}

	sim2 := startSim(t, smscsim.Config{Addr: addr})
	ctx, cancel = context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	acc, err := c.Submit(ctx, &carriers.Submission{To: "+4420000001", Text: "back again"})
	if err != nil || len(acc.IDs) != 1 {
		t.Fatalf("submit after restart: %v, %v", acc, err)
	}
	if got := sim2.Stats().Binds; got != 1 {
		t.Errorf("restarted simulator saw %d binds, want 1", got)
	}
}

func TestSubmitRequestTimeout(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{Latency: time.Hour})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), RequestTimeout: 100 * time.Millisecond})
	_, err := c.Submit(t.Context(), &carriers.Submission{To: "+4420000002", Text: "silence"})
	if !errors.Is(err, carriers.ErrInDoubt) || !errors.Is(err, smpp.ErrTimeout) {
		t.Fatalf("got %v, want ErrInDoubt wrapping ErrTimeout", err)
	}
}

func TestSubmitContextEndsInDoubt(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{Latency: time.Hour})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr()})
	// Wait for the bind, so the deadline below hits a written PDU.
	if _, err := c.Submit(t.Context(), &carriers.Submission{To: "", Text: "probe"}); err == nil {
		t.Fatal("probe to an empty destination accepted")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Submit(ctx, &carriers.Submission{To: "+4420000003", Text: "impatient"})
	if !errors.Is(err, carriers.ErrInDoubt) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want ErrInDoubt wrapping DeadlineExceeded", err)
	}
}

func TestBindCredentials(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{SystemID: "shop", Password: "secret"})
	tests := []struct {
		name, systemID, password string
		ok                       bool
	}{
		{"right", "shop", "secret", true},
		{"wrong password", "shop", "guess", false},
		{"wrong system id", "other", "secret", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), SystemID: tt.systemID, Password: tt.password})
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			_, err := c.Submit(ctx, &carriers.Submission{To: "+4420000004", Text: "creds"})
			if tt.ok && err != nil {
				t.Fatalf("submit: %v", err)
			}
			if !tt.ok && !errors.Is(err, carriers.ErrUnavailable) {
				t.Fatalf("submit without bind: %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestClientDropsSilentSMSC(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	startClient(t, smpp.ClientConfig{Addr: ln.Addr().String(), EnquireLink: 20 * time.Millisecond, RequestTimeout: 50 * time.Millisecond})
	for attempt := range 2 {
		nc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		p := &rawPeer{t: t, nc: nc, r: smpp.NewReader(nc, 0)}
		bind := p.recv()
		if bind.ID != smpp.CmdBindTransceiver {
			t.Fatalf("attempt %d: got %s, want bind_transceiver", attempt, bind.ID)
		}
		p.send(bind.Seq, &smpp.BindResp{Type: smpp.BindTransceiver, SystemID: "mute"})
		if got := p.recv(); got.ID != smpp.CmdEnquireLink {
			t.Fatalf("attempt %d: got %s, want enquire_link", attempt, got.ID)
		}
		p.expectClosed() // never answered: the client hangs up and dials again
		nc.Close()
	}
}
