package gateway

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// header encodes a PDU header as given, lies included.
func header(length uint32, id smpp.CommandID, seq uint32) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint32(b[0:], length)
	binary.BigEndian.PutUint32(b[4:], uint32(id))
	binary.BigEndian.PutUint32(b[12:], seq)
	return b
}

func encode(t *testing.T, p smpp.PDU) []byte {
	t.Helper()
	b, err := p.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawOutcome sends b on a new connection and reports what came back
// within wait: the first PDU, or that the connection was closed.
func rawOutcome(addr string, b []byte, wait time.Duration) (p smpp.PDU, closed bool, err error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return p, false, err
	}
	defer nc.Close()
	if _, err := nc.Write(b); err != nil {
		return p, true, nil
	}
	nc.SetReadDeadline(time.Now().Add(wait))
	frame, err := smpp.NewReader(nc, 0).ReadFrame()
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return p, true, nil
	case errors.As(err, &ne) && ne.Timeout():
		return p, false, errors.New("neither an answer nor a closed connection")
	case err != nil:
		return p, true, nil // reset by peer
	}
	p, err = smpp.Decode(frame)
	return p, false, err
}

// TestHostileInput: bad bytes get generic_nack (or the command's own
// error response) or a closed connection, each with a log line; the
// server keeps serving a session bound before and a client that binds
// after.
func TestHostileInput(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme", BindLimit: 100})
	before := dialESME(t, srv.Addr())
	before.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)

	submit := encode(t, smpp.PDU{Header: smpp.Header{Seq: 7}, Body: sm("14155552671", "hi", 0)})
	truncated := append(header(16+5, smpp.CmdSubmitSM, 8), 0, 1, 1, '1', '4')
	deliver := encode(t, smpp.PDU{Header: smpp.Header{Seq: 9}, Body: &smpp.DeliverSM{ShortMessage: []byte("x")}})
	wrongPassword := encode(t, smpp.PDU{Header: smpp.Header{Seq: 10}, Body: &smpp.Bind{Type: smpp.BindTransceiver, SystemID: "acme", Password: "nope"}})
	tests := []struct {
		name   string
		in     []byte
		closed bool
		want   smpp.CommandID // when not closed
		status smpp.CommandStatus
		log    string
	}{
		{"http request", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), true, 0, 0, "invalid command_length"},
		{"huge command_length", header(0xFFFFFFFF, smpp.CmdSubmitSM, 1), true, 0, 0, "invalid command_length"},
		{"over the maximum pdu", header(64*1024, smpp.CmdSubmitSM, 1), true, 0, 0, "invalid command_length"},
		{"command_length below the header", header(8, smpp.CmdSubmitSM, 1), true, 0, 0, "invalid command_length"},
		{"zeros", make([]byte, 64), true, 0, 0, "invalid command_length"},
		{"truncated body", truncated, false, smpp.CmdGenericNack, smpp.StatusInvalidCmdLength, "smpp bad pdu"},
		{"unknown command", header(16, 0x00000999, 3), false, smpp.CmdGenericNack, smpp.StatusInvalidCmdID, "smpp bad pdu"},
		{"unknown response", header(16, 0x80000999, 3), true, 0, 0, ""}, // ignored; the bind timeout ends it
		{"submit before bind", submit, false, smpp.CmdSubmitSMResp, smpp.StatusInvalidBindStatus, "not bound to submit"},
		{"deliver_sm from an esme", deliver, false, smpp.CmdGenericNack, smpp.StatusInvalidCmdID, "not served"},
		{"wrong password", wrongPassword, false, smpp.CmdBindTransceiverResp, smpp.StatusInvalidPassword, "smpp bind refused"},
		{"a frame that never ends", header(100, smpp.CmdSubmitSM, 1), true, 0, 0, "no bind within"},
	}
	var wg sync.WaitGroup
	for _, tt := range tests {
		// Each case three times at once: other sessions are not affected.
		for range 3 {
			wg.Go(func() {
				p, closed, err := rawOutcome(srv.Addr(), tt.in, 2*e.config().BindTimeout)
				switch {
				case err != nil:
					t.Errorf("%s: %v", tt.name, err)
				case closed != tt.closed:
					t.Errorf("%s: closed %v, want %v (got %v %v)", tt.name, closed, tt.closed, p.ID, p.Status.Name())
				case !closed && (p.ID != tt.want || p.Status != tt.status):
					t.Errorf("%s: %v %v, want %v %v", tt.name, p.ID, p.Status.Name(), tt.want, tt.status.Name())
				}
			})
		}
	}
	wg.Wait()
	logs := e.logs.String()
	for _, tt := range tests {
		if tt.log != "" && !strings.Contains(logs, tt.log) {
			t.Errorf("%s: no log line with %q", tt.name, tt.log)
		}
	}

	// Still serving: the session bound before, and a new one.
	if _, st := before.submit(sm("14155552671", "still here", 0)); st != smpp.StatusOK {
		t.Fatalf("bound session after the attack: %v", st.Name())
	}
	after := dialESME(t, srv.Addr())
	after.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
	if _, st := after.submit(sm("14155552671", "hello", 0)); st != smpp.StatusOK {
		t.Fatalf("new session after the attack: %v", st.Name())
	}
	if n := srv.conns.Load(); n > 4 {
		t.Fatalf("%d connections still open", n)
	}
}

// TestMaxConnections: connections beyond the maximum are closed at once.
func TestMaxConnections(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.MaxConnections = 2
	srv := e.start(cfg)
	e.account(Account{SystemID: "acme"})
	a := dialESME(t, srv.Addr())
	a.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
	b := dialESME(t, srv.Addr())
	b.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
	_, closed, err := rawOutcome(srv.Addr(), encode(t, smpp.PDU{Header: smpp.Header{Seq: 1}, Body: &smpp.EnquireLink{}}), time.Second)
	if err != nil || !closed {
		t.Fatalf("third connection: closed %v, %v", closed, err)
	}
	if !strings.Contains(e.logs.String(), "too many open") {
		t.Fatal("no log line")
	}
	if _, st := a.submit(sm("14155552671", "x", 0)); st != smpp.StatusOK {
		t.Fatal(fmt.Sprint(st))
	}
}
