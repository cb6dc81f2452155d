package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// esme is a customer's SMPP client for tests, speaking the protocol with
// the codec of carriers/smpp over a real TCP connection. It answers
// enquire_link, unbind and deliver_sm itself (deliver_sm with
// deliverStatus) and keeps the deliver_sm it acknowledged.
type esme struct {
	t  testing.TB
	nc net.Conn

	seq           atomic.Uint32
	deliverStatus atomic.Uint32

	mu       sync.Mutex
	waiting  map[uint32]chan smpp.PDU
	delivers []*smpp.DeliverSM
	closed   chan struct{}
	err      error
}

func dialESME(t testing.TB, addr string) *esme {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	return newESME(t, nc)
}

// newESME runs the client on a connection, closed when the test ends.
func newESME(t testing.TB, nc net.Conn) *esme {
	e := &esme{t: t, nc: nc, waiting: map[uint32]chan smpp.PDU{}, closed: make(chan struct{})}
	go e.read()
	t.Cleanup(func() { nc.Close(); <-e.closed })
	return e
}

func (e *esme) read() {
	defer close(e.closed)
	r := smpp.NewReader(e.nc, 0)
	for {
		frame, err := r.ReadFrame()
		if err != nil {
			e.mu.Lock()
			e.err = err
			e.mu.Unlock()
			return
		}
		p, err := smpp.Decode(frame)
		if err != nil {
			e.mu.Lock()
			e.err = err
			e.mu.Unlock()
			continue
		}
		if p.ID.IsResponse() {
			e.mu.Lock()
			ch := e.waiting[p.Seq]
			delete(e.waiting, p.Seq)
			e.mu.Unlock()
			if ch != nil {
				ch <- p
			}
			continue
		}
		switch b := p.Body.(type) {
		case *smpp.EnquireLink:
			e.write(smpp.PDU{Header: smpp.Header{Seq: p.Seq}, Body: &smpp.EnquireLinkResp{}})
		case *smpp.Unbind:
			e.write(smpp.PDU{Header: smpp.Header{Seq: p.Seq}, Body: &smpp.UnbindResp{}})
		case *smpp.DeliverSM:
			st := smpp.CommandStatus(e.deliverStatus.Load())
			if st == smpp.StatusOK {
				e.mu.Lock()
				e.delivers = append(e.delivers, b)
				e.mu.Unlock()
				e.write(smpp.PDU{Header: smpp.Header{Seq: p.Seq}, Body: &smpp.DeliverSMResp{}})
			} else {
				e.write(smpp.PDU{Header: smpp.Header{ID: smpp.CmdDeliverSMResp, Status: st, Seq: p.Seq}})
			}
		}
	}
}

func (e *esme) write(p smpp.PDU) error {
	b, err := p.AppendTo(nil)
	if err != nil {
		return err
	}
	_, err = e.nc.Write(b)
	return err
}

// call sends a request and waits for its response.
func (e *esme) call(body smpp.Body) (smpp.PDU, error) {
	seq := e.seq.Add(1)
	ch := make(chan smpp.PDU, 1)
	e.mu.Lock()
	e.waiting[seq] = ch
	e.mu.Unlock()
	if err := e.write(smpp.PDU{Header: smpp.Header{Seq: seq}, Body: body}); err != nil {
		return smpp.PDU{}, err
	}
	select {
	case p := <-ch:
		return p, nil
	case <-e.closed:
		return smpp.PDU{}, fmt.Errorf("connection closed: %w", e.readErr())
	case <-time.After(10 * time.Second):
		return smpp.PDU{}, errors.New("no response in 10s")
	}
}

// response waits for the response to a request written raw with seq.
func (e *esme) expect(seq uint32) chan smpp.PDU {
	ch := make(chan smpp.PDU, 1)
	e.mu.Lock()
	e.waiting[seq] = ch
	e.mu.Unlock()
	return ch
}

func (e *esme) readErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// bind binds and fails the test unless the answer is want.
func (e *esme) bind(bt smpp.BindType, systemID, password string, want smpp.CommandStatus) {
	e.t.Helper()
	p, err := e.call(&smpp.Bind{Type: bt, SystemID: systemID, Password: password, InterfaceVersion: smpp.InterfaceVersion})
	if err != nil {
		e.t.Fatalf("bind %s: %v", systemID, err)
	}
	if p.Status != want {
		e.t.Fatalf("bind %s: %v, want %v", systemID, p.Status.Name(), want.Name())
	}
}

// submit sends one submit_sm and returns the message id or the status.
func (e *esme) submit(m *smpp.SubmitSM) (string, smpp.CommandStatus) {
	e.t.Helper()
	p, err := e.call(m)
	if err != nil {
		e.t.Fatalf("submit_sm: %v", err)
	}
	if p.Status != smpp.StatusOK {
		return "", p.Status
	}
	return p.Body.(*smpp.SubmitSMResp).MessageID, smpp.StatusOK
}

// received returns the deliver_sm acknowledged so far.
func (e *esme) received() []*smpp.DeliverSM {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*smpp.DeliverSM(nil), e.delivers...)
}

// receipts returns the receipts acknowledged so far by receipted id.
func (e *esme) receipts() map[string]*smpp.DeliverSM {
	out := map[string]*smpp.DeliverSM{}
	for _, d := range e.received() {
		if smpp.IsReceipt(d.ESMClass) {
			id, _ := d.TLVs.CString(smpp.TagReceiptedMessageID)
			out[id] = d
		}
	}
	return out
}

// isClosed reports whether the server closed the connection.
func (e *esme) isClosed() bool {
	select {
	case <-e.closed:
		return true
	default:
		return false
	}
}

func (e *esme) unbind() {
	e.call(&smpp.Unbind{})
	e.nc.Close()
}

// sm builds a submit_sm of an ASCII text to an international number.
func sm(to, text string, registered uint8) *smpp.SubmitSM {
	return &smpp.SubmitSM{
		Source:             smpp.Address{TON: smpp.TONAlphanumeric, Addr: "SHOP"},
		Dest:               smpp.Address{TON: smpp.TONInternational, NPI: smpp.NPIISDN, Addr: to},
		RegisteredDelivery: registered,
		ShortMessage:       []byte(text),
	}
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ = context.Background
