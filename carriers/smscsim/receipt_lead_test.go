package smscsim_test

import (
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
)

// With ReceiptLead and no ReceiptDelay the receipt comes before the
// submit_sm_resp, as some SMSCs send it.
func TestReceiptLead(t *testing.T) {
	t.Parallel()
	s := startSim(t, smscsim.Config{ReceiptLead: 300 * time.Millisecond, DeliveredRatio: 1})
	e := bindESME(t, s)
	e.seq++
	b, err := (&smpp.PDU{Header: smpp.Header{Seq: e.seq}, Body: submit("+14155552671", "lead")}).AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.nc.Write(b); err != nil {
		t.Fatal(err)
	}
	e.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var order []smpp.CommandID
	for len(order) < 2 {
		f, err := e.r.ReadFrame()
		if err != nil {
			t.Fatalf("after %v: %v", order, err)
		}
		p, err := smpp.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, p.ID)
	}
	if order[0] != smpp.CmdDeliverSM || order[1] != smpp.CmdSubmitSMResp {
		t.Fatalf("frames %v, want the receipt (deliver_sm) before submit_sm_resp", order)
	}
}
