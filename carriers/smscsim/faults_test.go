package smscsim_test

import (
	"errors"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
)

// esme is a hand-driven ESME for the simulator's tests.
type esme struct {
	t   *testing.T
	nc  net.Conn
	r   *smpp.Reader
	seq uint32
}

func startSim(t *testing.T, cfg smscsim.Config) *smscsim.Server {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	s, err := smscsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func bindESME(t *testing.T, s *smscsim.Server) *esme {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	e := &esme{t: t, nc: nc, r: smpp.NewReader(nc, 0)}
	if resp := e.call(&smpp.Bind{Type: smpp.BindTransceiver, SystemID: "t", InterfaceVersion: smpp.InterfaceVersion}); resp.Status != smpp.StatusOK {
		t.Fatalf("bind: %v", resp.Status)
	}
	return e
}

// call sends a request and returns its answer, skipping receipts.
func (e *esme) call(body smpp.Body) smpp.PDU {
	e.t.Helper()
	p, err := e.try(body, 5*time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// try is call with a read deadline, returning read errors.
func (e *esme) try(body smpp.Body, wait time.Duration) (smpp.PDU, error) {
	e.seq++
	b, err := (&smpp.PDU{Header: smpp.Header{Seq: e.seq}, Body: body}).AppendTo(nil)
	if err != nil {
		return smpp.PDU{}, err
	}
	if _, err := e.nc.Write(b); err != nil {
		return smpp.PDU{}, err
	}
	e.nc.SetReadDeadline(time.Now().Add(wait))
	for {
		f, err := e.r.ReadFrame()
		if err != nil {
			return smpp.PDU{}, err
		}
		p, err := smpp.Decode(f)
		if err != nil {
			return smpp.PDU{}, err
		}
		if p.Seq == e.seq && p.ID.IsResponse() {
			return p, nil
		}
	}
}

func submit(to, text string) *smpp.SubmitSM {
	return &smpp.SubmitSM{Dest: smpp.AddressOf(to), ShortMessage: []byte(text), RegisteredDelivery: smpp.RegisteredDeliveryFinal}
}

func TestQueryCancelReplace(t *testing.T) {
	t.Parallel()
	s := startSim(t, smscsim.Config{ReceiptDelay: time.Hour, IDFormat: "decimal"})
	e := bindESME(t, s)
	id := e.call(submit("+4915100000001", "pending")).Body.(*smpp.SubmitSMResp).MessageID
	q := e.call(&smpp.QuerySM{MessageID: id}).Body.(*smpp.QuerySMResp)
	if q.State != smpp.StateEnroute || q.FinalDate != "" {
		t.Errorf("query of a pending message: %+v", q)
	}
	if got := e.call(&smpp.ReplaceSM{MessageID: id, ShortMessage: []byte("new")}); got.Status != smpp.StatusOK {
		t.Errorf("replace_sm: %v", got.Status)
	}
	if got := e.call(&smpp.CancelSM{MessageID: id}); got.Status != smpp.StatusOK {
		t.Errorf("cancel_sm: %v", got.Status)
	}
	q = e.call(&smpp.QuerySM{MessageID: id}).Body.(*smpp.QuerySMResp)
	if q.State != smpp.StateDeleted || q.FinalDate == "" {
		t.Errorf("query of a cancelled message: %+v", q)
	}
	if got := e.call(&smpp.CancelSM{MessageID: id}); got.Status != smpp.StatusCancelFailed {
		t.Errorf("second cancel_sm: %v", got.Status)
	}
	if got := e.call(&smpp.ReplaceSM{MessageID: id}); got.Status != smpp.StatusReplaceFailed {
		t.Errorf("replace_sm of a final message: %v", got.Status)
	}
	if got := e.call(&smpp.QuerySM{MessageID: "999"}); got.Status != smpp.StatusQueryFailed {
		t.Errorf("query_sm of an unknown id: %v", got.Status)
	}
}

func TestSubmitMultiAndDataSM(t *testing.T) {
	t.Parallel()
	s := startSim(t, smscsim.Config{})
	e := bindESME(t, s)
	resp := e.call(&smpp.SubmitMulti{
		Dests:        []smpp.Dest{{Addr: smpp.AddressOf("+4915100000001")}, {DistList: "friends"}, {Addr: smpp.AddressOf("+4915100000002")}},
		ShortMessage: []byte("to many"),
	})
	mr := resp.Body.(*smpp.SubmitMultiResp)
	if resp.Status != smpp.StatusOK || mr.MessageID == "" || len(mr.Unsuccess) != 1 || mr.Unsuccess[0].Status != smpp.StatusCannotSubmitToDistList {
		t.Errorf("submit_multi: %v %+v", resp.Status, mr)
	}
	d := &smpp.DataSM{Dest: smpp.AddressOf("+4915100000003")}
	d.TLVs.Set(smpp.TagMessagePayload, []byte("by data sm"))
	if resp := e.call(d); resp.Status != smpp.StatusOK || resp.Body.(*smpp.DataSMResp).MessageID == "" {
		t.Errorf("data_sm: %v %+v", resp.Status, resp.Body)
	}
	for _, m := range []struct{ to, text string }{{"+4915100000001", "to many"}, {"+4915100000002", "to many"}, {"+4915100000003", "by data sm"}} {
		if n := s.Submits(m.to, m.text); n != 1 {
			t.Errorf("%q to %s taken %d times", m.text, m.to, n)
		}
	}
}

func TestErrorsForAPeriod(t *testing.T) {
	t.Parallel()
	s := startSim(t, smscsim.Config{})
	e := bindESME(t, s)
	s.SetErrors(1, smpp.StatusSystemError, 200*time.Millisecond)
	if got := e.call(submit("+4915100000001", "during")); got.Status != smpp.StatusSystemError {
		t.Errorf("during the period: %v", got.Status)
	}
	time.Sleep(250 * time.Millisecond)
	if got := e.call(submit("+4915100000001", "after")); got.Status != smpp.StatusOK {
		t.Errorf("after the period: %v", got.Status)
	}
	if st := s.Stats(); st.Injected != 1 || st.Received != 2 || st.SubmitSM != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	s := startSim(t, smscsim.Config{ThrottleRate: 5, ThrottleBurst: 3})
	e := bindESME(t, s)
	var got []smpp.CommandStatus
	for range 5 {
		got = append(got, e.call(submit("+4915100000001", "fast")).Status)
	}
	if ok := len(got) - len(slices.DeleteFunc(slices.Clone(got), func(st smpp.CommandStatus) bool { return st == smpp.StatusOK })); ok < 3 || ok > 4 {
		t.Errorf("answers %v: want the burst of 3 (maybe 4) accepted", got)
	}
	s.SetThrottle(0, 0)
	if st := e.call(submit("+4915100000001", "free")).Status; st != smpp.StatusOK {
		t.Errorf("throttling off: %v", st)
	}
}

func TestSilentThenDropped(t *testing.T) {
	t.Parallel()
	s := startSim(t, smscsim.Config{})
	e := bindESME(t, s)
	s.SetSilent(true)
	if _, err := e.try(&smpp.EnquireLink{}, 200*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a silent simulator answered: %v", err)
	}
	s.SetSilent(false) // drops the session that went silent
	if _, err := e.try(&smpp.EnquireLink{}, 2*time.Second); err == nil {
		t.Fatal("session still answering after silence")
	}
	e2 := bindESME(t, s)
	e2.call(&smpp.EnquireLink{})
	if n := s.DropSessions(); n != 1 {
		t.Errorf("dropped %d sessions, want 1", n)
	}
	if st := s.Stats(); st.Dropped != 2 {
		t.Errorf("stats %+v, want 2 dropped", st)
	}
}
