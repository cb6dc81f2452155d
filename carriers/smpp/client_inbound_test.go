package smpp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/testkit"
)

// inbox collects inbound messages; fail, if set, refuses one.
type inbox struct {
	mu   sync.Mutex
	got  []carriers.Inbound
	fail func(carriers.Inbound) bool
	seen chan struct{}
}

func newInbox() *inbox { return &inbox{seen: make(chan struct{}, 64)} }

func (b *inbox) handle(_ context.Context, in carriers.Inbound) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer func() { b.seen <- struct{}{} }()
	if b.fail != nil && b.fail(in) {
		return errors.New("refused by test")
	}
	b.got = append(b.got, in)
	return nil
}

func (b *inbox) all() []carriers.Inbound {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]carriers.Inbound(nil), b.got...)
}

func (b *inbox) wait(t *testing.T) {
	t.Helper()
	select {
	case <-b.seen:
	case <-time.After(5 * time.Second):
		t.Fatal("no inbound message")
	}
}

func TestInboundMultipart(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{SystemID: "shop"})
	box := newInbox()
	startClient(t, smpp.ClientConfig{Addr: sim.Addr(), SystemID: "shop", InboundTimeout: time.Minute}, smpp.WithInboundHandler(box.handle))
	texts := []string{
		strings.Repeat("Please call me back about order 1234. ", 9),
		strings.Repeat("Перезвоните мне, пожалуйста. ", 6),
	}
	for _, text := range texts {
		if gsm.Analyze(text, gsm.Options{}).Segments < 2 {
			t.Fatalf("test text %q fits one part", text)
		}
		testkit.Eventually(t, 5*time.Second, func() error { return sim.SendMO(t.Context(), "shop", "+4915112345678", "12345", text) })
		box.wait(t)
	}
	got := box.all()
	if len(got) != len(texts) {
		t.Fatalf("%d inbound messages, want %d", len(got), len(texts))
	}
	for i, in := range got {
		if in.Text != texts[i] || in.From != "+4915112345678" || in.To != "12345" {
			t.Errorf("message %d: %+v", i, in)
		}
	}
}

// sarPart is part seq of total of an inbound message joined by sar_*
// parameters.
func sarPart(ref uint16, total, seq uint8, text string) *smpp.DeliverSM {
	d := &smpp.DeliverSM{Source: smpp.AddressOf("+4915112345678"), Dest: smpp.AddressOf("12345"), ShortMessage: []byte(text)}
	d.TLVs.SetUint16(smpp.TagSARMsgRefNum, ref)
	d.TLVs.SetUint8(smpp.TagSARTotalSegments, total)
	d.TLVs.SetUint8(smpp.TagSARSegmentSeqnum, seq)
	return d
}

func TestInboundSAR(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{SystemID: "shop"})
	box := newInbox()
	// The handler refuses the first whole message once: the SMSC gets
	// ESME_RX_T_APPN for the last part and delivers it again.
	refused := false
	box.fail = func(carriers.Inbound) bool {
		if refused {
			return false
		}
		refused = true
		return true
	}
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), SystemID: "shop"}, smpp.WithInboundHandler(box.handle))
	testkit.Eventually(t, 5*time.Second, func() error {
		if c.Stats().Bound == 0 {
			return errors.New("not bound")
		}
		return nil
	})
	inject := func(d *smpp.DeliverSM, want smpp.CommandStatus) {
		t.Helper()
		resp, err := sim.Inject(t.Context(), "shop", d)
		if err != nil || resp.Status != want {
			t.Fatalf("inject: %v, %v; want %v", resp.Status, err, want)
		}
	}
	inject(sarPart(7, 3, 2, "middle "), smpp.StatusOK)
	inject(sarPart(7, 3, 1, "first "), smpp.StatusOK)
	inject(sarPart(7, 3, 2, "middle "), smpp.StatusOK) // a repeat changes nothing
	inject(sarPart(7, 3, 3, "last"), smpp.StatusTempAppError)
	box.wait(t)
	inject(sarPart(7, 3, 3, "last"), smpp.StatusOK)
	box.wait(t)
	got := box.all()
	if len(got) != 1 || got[0].Text != "first middle last" {
		t.Fatalf("got %+v, want one message \"first middle last\"", got)
	}
	// A bad sar segment number cannot be read.
	inject(sarPart(8, 2, 3, "x"), smpp.StatusPermAppError)
}

func TestInboundPartsTimeOut(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{SystemID: "shop"})
	box := newInbox()
	startClient(t, smpp.ClientConfig{Addr: sim.Addr(), SystemID: "shop", InboundTimeout: 100 * time.Millisecond}, smpp.WithInboundHandler(box.handle))
	start := time.Now()
	testkit.Eventually(t, 5*time.Second, func() error {
		_, err := sim.Inject(t.Context(), "shop", sarPart(9, 2, 1, "STOP please"))
		return err
	})
	box.wait(t)
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("partial message delivered after %v, before the timeout", took)
	}
	if got := box.all(); len(got) != 1 || got[0].Text != "STOP please" {
		t.Errorf("got %+v, want the part that came", got)
	}
}
