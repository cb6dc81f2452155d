package smpp_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// echoSMSC accepts any bind but system_id "bad" and answers every
// submit_sm with message id "1".
type echoSMSC struct{}

func (echoSMSC) Bind(_ context.Context, _ *smpp.ServerSession, b *smpp.Bind) smpp.CommandStatus {
	if b.SystemID == "bad" {
		return smpp.StatusInvalidSystemID
	}
	return smpp.StatusOK
}

func (echoSMSC) Request(s *smpp.ServerSession, p smpp.PDU) {
	switch p.Body.(type) {
	case *smpp.SubmitSM:
		_ = s.Respond(p, smpp.StatusOK, &smpp.SubmitSMResp{MessageID: "1"})
	case *smpp.DataSM:
		_ = s.Respond(p, smpp.StatusOK, &smpp.DataSMResp{MessageID: "2"})
	default:
		_ = s.Respond(p, smpp.StatusInvalidCmdID, nil)
	}
}

// serveSessions accepts connections for the test and runs a session on
// each; it returns the listener's address and a channel of Serve results.
func serveSessions(t *testing.T, opts ...smpp.SessionOption) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 16)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				results <- smpp.NewServerSession(nc, echoSMSC{}, opts...).Serve(t.Context())
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), results
}

// rawPeer is an ESME driven by hand, one PDU at a time.
type rawPeer struct {
	t  *testing.T
	nc net.Conn
	r  *smpp.Reader
}

func dialPeer(t *testing.T, addr string) *rawPeer {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	return &rawPeer{t: t, nc: nc, r: smpp.NewReader(nc, 0)}
}

func (p *rawPeer) send(seq uint32, body smpp.Body) {
	p.t.Helper()
	pdu := smpp.PDU{Header: smpp.Header{Seq: seq}, Body: body}
	b, err := pdu.AppendTo(nil)
	if err != nil {
		p.t.Fatal(err)
	}
	p.write(b)
}

func (p *rawPeer) write(b []byte) {
	p.t.Helper()
	if _, err := p.nc.Write(b); err != nil {
		p.t.Fatal(err)
	}
}

func (p *rawPeer) recv() smpp.PDU {
	p.t.Helper()
	f, err := p.r.ReadFrame()
	if err != nil {
		p.t.Fatalf("read: %v", err)
	}
	pdu, err := smpp.Decode(f)
	if err != nil {
		p.t.Fatalf("decode: %v", err)
	}
	return pdu
}

func (p *rawPeer) expect(id smpp.CommandID, status smpp.CommandStatus, seq uint32) smpp.PDU {
	p.t.Helper()
	got := p.recv()
	if got.ID != id || got.Status != status || got.Seq != seq {
		p.t.Fatalf("got %s %s seq %d, want %s %s seq %d", got.ID, got.Status, got.Seq, id, status, seq)
	}
	return got
}

func (p *rawPeer) expectClosed() {
	p.t.Helper()
	if f, err := p.r.ReadFrame(); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		p.t.Fatalf("connection still open: frame %x, err %v", f, err)
	}
}

func bindTRX(id string) *smpp.Bind {
	return &smpp.Bind{Type: smpp.BindTransceiver, SystemID: id, InterfaceVersion: smpp.InterfaceVersion}
}

func TestServerSession(t *testing.T) {
	t.Parallel()
	addr, _ := serveSessions(t)
	unknown := []byte{0, 0, 0, 16, 0, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 5}
	tests := []struct {
		name string
		run  func(p *rawPeer)
	}{
		{"enquire_link before bind", func(p *rawPeer) {
			p.send(1, &smpp.EnquireLink{})
			p.expect(smpp.CmdEnquireLinkResp, smpp.StatusOK, 1)
		}},
		{"submit_sm before bind", func(p *rawPeer) {
			p.send(2, &smpp.SubmitSM{Dest: smpp.AddressOf("+4915100000000")})
			p.expect(smpp.CmdSubmitSMResp, smpp.StatusInvalidBindStatus, 2)
		}},
		{"unknown command", func(p *rawPeer) {
			p.write(unknown)
			p.expect(smpp.CmdGenericNack, smpp.StatusInvalidCmdID, 5)
			p.send(6, &smpp.EnquireLink{}) // the session survives
			p.expect(smpp.CmdEnquireLinkResp, smpp.StatusOK, 6)
		}},
		{"bind, submit, rebind, unbind", func(p *rawPeer) {
			p.send(1, bindTRX("shop"))
			resp := p.expect(smpp.CmdBindTransceiverResp, smpp.StatusOK, 1)
			if v, ok := resp.Body.(*smpp.BindResp).TLVs.Uint8(smpp.TagSCInterfaceVersion); !ok || v != 0x34 {
				t.Errorf("sc_interface_version %x, %v", v, ok)
			}
			p.send(2, &smpp.SubmitSM{Dest: smpp.AddressOf("+4915100000000"), ShortMessage: []byte("hi")})
			if got := p.expect(smpp.CmdSubmitSMResp, smpp.StatusOK, 2); got.Body.(*smpp.SubmitSMResp).MessageID != "1" {
				t.Errorf("message id %q", got.Body.(*smpp.SubmitSMResp).MessageID)
			}
			p.send(3, bindTRX("shop"))
			p.expect(smpp.CmdBindTransceiverResp, smpp.StatusAlreadyBound, 3)
			p.send(4, &smpp.Unbind{})
			p.expect(smpp.CmdUnbindResp, smpp.StatusOK, 4)
			p.expectClosed()
		}},
		{"bind refused", func(p *rawPeer) {
			p.send(1, bindTRX("bad"))
			p.expect(smpp.CmdBindTransceiverResp, smpp.StatusInvalidSystemID, 1)
			p.send(2, &smpp.SubmitSM{})
			p.expect(smpp.CmdSubmitSMResp, smpp.StatusInvalidBindStatus, 2)
		}},
		{"receiver may not submit", func(p *rawPeer) {
			p.send(1, &smpp.Bind{Type: smpp.BindReceiver, SystemID: "shop"})
			p.expect(smpp.CmdBindReceiverResp, smpp.StatusOK, 1)
			p.send(2, &smpp.SubmitSM{})
			p.expect(smpp.CmdSubmitSMResp, smpp.StatusInvalidBindStatus, 2)
		}},
		{"malformed submit_sm", func(p *rawPeer) {
			p.send(1, bindTRX("shop"))
			p.expect(smpp.CmdBindTransceiverResp, smpp.StatusOK, 1)
			p.write([]byte{0, 0, 0, 19, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9, 'C', 'M', 'T'})
			p.expect(smpp.CmdGenericNack, smpp.StatusInvalidCmdLength, 9)
		}},
		{"every submitting command needs a bind", func(p *rawPeer) {
			bodies := []smpp.Body{&smpp.SubmitMulti{Dests: []smpp.Dest{{DistList: "x"}}}, &smpp.DataSM{}, &smpp.QuerySM{}, &smpp.CancelSM{}, &smpp.ReplaceSM{}}
			for i, b := range bodies {
				p.send(uint32(10+i), b)
				p.expect(b.CommandID().Resp(), smpp.StatusInvalidBindStatus, uint32(10+i))
			}
		}},
		{"bound commands reach the handler", func(p *rawPeer) {
			p.send(1, bindTRX("shop"))
			p.expect(smpp.CmdBindTransceiverResp, smpp.StatusOK, 1)
			p.send(2, &smpp.DataSM{Dest: smpp.AddressOf("+4915100000000")})
			if got := p.expect(smpp.CmdDataSMResp, smpp.StatusOK, 2); got.Body.(*smpp.DataSMResp).MessageID != "2" {
				t.Errorf("data_sm_resp %+v", got.Body)
			}
			p.send(3, &smpp.QuerySM{MessageID: "1"})
			p.expect(smpp.CmdQuerySMResp, smpp.StatusInvalidCmdID, 3)
			p.send(4, &smpp.AlertNotification{}) // never answered
			p.send(5, &smpp.Outbind{})           // never answered
			p.send(6, &smpp.EnquireLink{})
			p.expect(smpp.CmdEnquireLinkResp, smpp.StatusOK, 6)
		}},
		{"field too long gets its own response", func(p *rawPeer) {
			p.write([]byte{0, 0, 0, 0x27, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 3,
				's', 'i', 'x', 't', 'e', 'e', 'n', '-', 'o', 'c', 't', 'e', 't', 's', '-', 'x', 0,
				0, 0, 0x34, 0, 0, 0})
			p.expect(smpp.CmdBindTransceiverResp, smpp.StatusInvalidSystemID, 3)
		}},
		{"tlv not allowed gets its own response", func(p *rawPeer) {
			p.send(1, bindTRX("shop"))
			p.expect(smpp.CmdBindTransceiverResp, smpp.StatusOK, 1)
			p.write([]byte{0, 0, 0, 0x26, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 7,
				0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x27, 0, 1, 2})
			p.expect(smpp.CmdSubmitSMResp, smpp.StatusOptionalParamNotAllowed, 7)
		}},
		{"garbage closes", func(p *rawPeer) {
			p.write([]byte("GET / HTTP/1.1\r\n\r\n"))
			p.expectClosed()
		}},
		{"oversized frame closes", func(p *rawPeer) {
			p.write([]byte{0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 4})
			p.expectClosed()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(dialPeer(t, addr))
		})
	}
}

func TestServerSessionThrottles(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	held := make(chan smpp.PDU, 8)
	var ss *smpp.ServerSession
	served := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		ss = smpp.NewServerSession(nc, holdSMSC{held}, smpp.WithMaxPending(2))
		served <- ss.Serve(t.Context())
	}()
	p := dialPeer(t, ln.Addr().String())
	p.send(1, bindTRX("shop"))
	p.expect(smpp.CmdBindTransceiverResp, smpp.StatusOK, 1)
	for seq := uint32(2); seq <= 4; seq++ {
		p.send(seq, &smpp.SubmitSM{})
	}
	p.expect(smpp.CmdSubmitSMResp, smpp.StatusThrottled, 4)
	for range 2 {
		req := <-held
		_ = ss.Respond(req, smpp.StatusOK, &smpp.SubmitSMResp{MessageID: "x"})
		p.expect(smpp.CmdSubmitSMResp, smpp.StatusOK, req.Seq)
	}
	p.send(5, &smpp.SubmitSM{})
	<-held
	p.send(6, &smpp.Unbind{})
	p.expect(smpp.CmdUnbindResp, smpp.StatusOK, 6)
	if err := <-served; err != nil {
		t.Errorf("Serve after unbind: %v, want nil", err)
	}
}

// holdSMSC passes requests to the test instead of answering them.
type holdSMSC struct{ held chan<- smpp.PDU }

func (holdSMSC) Bind(context.Context, *smpp.ServerSession, *smpp.Bind) smpp.CommandStatus {
	return smpp.StatusOK
}

func (h holdSMSC) Request(_ *smpp.ServerSession, p smpp.PDU) { h.held <- p }

func TestServerSessionSendsDeliverSM(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sessions := make(chan *smpp.ServerSession, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		ss := smpp.NewServerSession(nc, echoSMSC{})
		sessions <- ss
		ss.Serve(t.Context())
	}()
	p := dialPeer(t, ln.Addr().String())
	ss := <-sessions
	d := &smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt, ShortMessage: []byte("id:1 stat:DELIVRD")}
	if _, err := ss.Send(t.Context(), d); !errors.Is(err, smpp.ErrNotBound) {
		t.Fatalf("deliver_sm before bind: %v, want ErrNotBound", err)
	}
	p.send(1, &smpp.Bind{Type: smpp.BindTransmitter, SystemID: "shop"})
	p.expect(smpp.CmdBindTransmitterResp, smpp.StatusOK, 1)
	if _, err := ss.Send(t.Context(), d); !errors.Is(err, smpp.ErrNotBound) {
		t.Fatalf("deliver_sm to a transmitter: %v, want ErrNotBound", err)
	}
}

func TestServerSessionKeepalive(t *testing.T) {
	t.Parallel()
	addr, results := serveSessions(t, smpp.WithEnquireLink(20*time.Millisecond), smpp.WithRequestTimeout(50*time.Millisecond))
	p := dialPeer(t, addr)
	first := p.recv()
	if first.ID != smpp.CmdEnquireLink {
		t.Fatalf("got %s, want enquire_link", first.ID)
	}
	p.send(first.Seq, &smpp.EnquireLinkResp{})
	// Answered once, then silent: the session gives up on the peer.
	for {
		f, err := p.r.ReadFrame()
		if err != nil {
			break
		}
		if pdu, _ := smpp.Decode(f); pdu.ID != smpp.CmdEnquireLink {
			t.Fatalf("got %s, want enquire_link", pdu.ID)
		}
	}
	if err := <-results; !errors.Is(err, smpp.ErrTimeout) {
		t.Errorf("Serve: %v, want ErrTimeout", err)
	}
}
