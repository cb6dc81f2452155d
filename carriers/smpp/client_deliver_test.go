package smpp_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
)

func TestReceiptRedeliveredAfterHandlerError(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{ReceiptRetry: 20 * time.Millisecond})
	rs := newReceipts()
	rs.fail = func(_ carriers.Receipt, seen int) bool { return seen == 0 }
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr()}, smpp.WithReceiptHandler(rs.handle))
	acc, err := c.Submit(t.Context(), &carriers.Submission{To: "+4915200000001", Text: "twice", RegisteredDelivery: true})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := len(rs.get(acc.IDs[0])); n < 2 {
			return fmt.Errorf("%d deliveries of the receipt", n)
		}
		return nil
	})
	testkit.Eventually(t, 5*time.Second, func() error {
		if st := sim.Stats(); st.ReceiptsAcked != 1 || st.ReceiptsSent != 2 {
			return fmt.Errorf("stats %+v, want 2 sent and 1 acknowledged", st)
		}
		return nil
	})
}

func TestNoReceiptUnlessAsked(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{})
	rs := newReceipts()
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr()}, smpp.WithReceiptHandler(rs.handle))
	if _, err := c.Submit(t.Context(), &carriers.Submission{To: "+4915200000002", Text: "quiet"}); err != nil {
		t.Fatal(err)
	}
	acc, err := c.Submit(t.Context(), &carriers.Submission{To: "+4915200000002", Text: "loud", RegisteredDelivery: true})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if len(rs.get(acc.IDs[0])) == 0 {
			return fmt.Errorf("no receipt yet")
		}
		return nil
	})
	// Both were due at once; the simulator sent only the one asked for.
	if st := sim.Stats(); st.ReceiptsSent != 1 || rs.count() != 1 {
		t.Errorf("%d receipts sent, %d handled; want 1", st.ReceiptsSent, rs.count())
	}
}

func TestReceiptOnAnotherSession(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{ReceiptDelay: 100 * time.Millisecond})
	first, second := newReceipts(), newReceipts()
	a, err := smpp.NewClient(smpp.ClientConfig{Name: "a", Addr: sim.Addr(), SystemID: "shop"}, smpp.WithReceiptHandler(first.handle))
	if err != nil {
		t.Fatal(err)
	}
	go a.Run(t.Context())
	startClient(t, smpp.ClientConfig{Addr: sim.Addr(), SystemID: "shop"}, smpp.WithReceiptHandler(second.handle))
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := sim.Stats().Binds; n != 2 {
			return fmt.Errorf("%d binds", n)
		}
		return nil
	})
	acc, err := a.Submit(t.Context(), &carriers.Submission{To: "+4915200000003", Text: "find me", RegisteredDelivery: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if len(second.get(acc.IDs[0])) == 0 {
			return fmt.Errorf("receipt not on the other session")
		}
		return nil
	})
}

func TestInbound(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{})
	var mu sync.Mutex
	var got []carriers.Inbound
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), SystemID: "shop"},
		smpp.WithInboundHandler(func(_ context.Context, in carriers.Inbound) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, in)
			return nil
		}))
	_ = c
	tests := []struct{ from, to, text string }{
		{"+4915112345678", "12345", "STOP"},
		{"+4915112345678", "+4930123456", "Пожалуйста, перезвоните"},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		// The first SendMO may race the bind; retry until a receiver is up.
		testkit.Eventually(t, 5*time.Second, func() error { return sim.SendMO(ctx, "shop", tt.from, tt.to, tt.text) })
		cancel()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(tests) {
		t.Fatalf("got %d inbound, want %d", len(got), len(tests))
	}
	for i, tt := range tests {
		if g := got[i]; g.From != tt.from || g.To != tt.to || g.Text != tt.text || g.Carrier != "sim" || g.Received.IsZero() {
			t.Errorf("inbound %d: %+v, want %+v", i, g, tt)
		}
	}
}
