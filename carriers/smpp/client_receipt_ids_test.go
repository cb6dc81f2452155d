package smpp_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/testkit"
)

// TestReceiptsMapToParts is the acceptance: receipts in hex and
// decimal, with and without the receipted_message_id parameter, for a
// single message and for each part of a 3-part one, carry the id Submit
// returned for that part, as the pipeline joins them.
func TestReceiptsMapToParts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		sim                 smscsim.Config
		respFmt, receiptFmt smpp.IDFormat
	}{
		{"hex with tlvs", smscsim.Config{IDFormat: "hex"}, smpp.IDAuto, smpp.IDAuto},
		{"hex answer, decimal text only", smscsim.Config{IDFormat: "hex", ReceiptIDFormat: "decimal", NoReceiptTLVs: true}, smpp.IDAuto, smpp.IDAuto},
		{"decimal answer, hex text only, declared", smscsim.Config{IDFormat: "decimal", ReceiptIDFormat: "hex", NoReceiptTLVs: true}, smpp.IDDecimal, smpp.IDHex},
		{"hex answer, decimal text, declared", smscsim.Config{IDFormat: "hex", ReceiptIDFormat: "decimal"}, smpp.IDHex, smpp.IDDecimal},
		{"decimal both", smscsim.Config{IDFormat: "decimal"}, smpp.IDAuto, smpp.IDAuto},
	}
	long := strings.Repeat("Your parcel is on its way to you. ", 12)[:400]
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.sim.Seed, tt.sim.DeliveredRatio, tt.sim.UndeliveredRatio = int64(i), 0.5, 0.5
			sim := startSim(t, tt.sim)
			rs := newReceipts()
			c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), ResponseIDFormat: tt.respFmt, ReceiptIDFormat: tt.receiptFmt},
				smpp.WithReceiptHandler(rs.handle))
			for j, text := range []string{"Your code is 493021", long} {
				to := fmt.Sprintf("+4915400%02d%02d", i, j)
				acc, err := c.Submit(t.Context(), &carriers.Submission{To: to, Text: text, RegisteredDelivery: true})
				if err != nil {
					t.Fatal(err)
				}
				want := tt.sim.Outcome(to, text)
				testkit.Eventually(t, 5*time.Second, func() error {
					for _, id := range acc.IDs {
						if len(rs.get(id)) == 0 {
							return fmt.Errorf("no receipt under %s (ids %v, receipts %d)", id, acc.IDs, rs.count())
						}
					}
					return nil
				})
				for k, id := range acc.IDs {
					r := rs.get(id)
					if len(r) != 1 || r[0].State != want {
						t.Errorf("part %d/%d id %s: receipts %+v, want one %s", k+1, len(acc.IDs), id, r, want)
					}
				}
			}
			if n := rs.count(); n != 4 {
				t.Errorf("receipts under %d ids, want 4 (1 + 3 parts)", n)
			}
		})
	}
}

// TestVendorReceipts injects receipts the way various SMSCs write them
// and checks that each reaches the handler under the id Submit returned.
func TestVendorReceipts(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{SystemID: "shop", IDFormat: "hex"})
	got := make(chan carriers.Receipt, 16)
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), SystemID: "shop"},
		smpp.WithReceiptHandler(func(_ context.Context, r carriers.Receipt) error { got <- r; return nil }))
	acc, err := c.Submit(t.Context(), &carriers.Submission{To: "+4915500000001", Text: "vendor forms"})
	if err != nil {
		t.Fatal(err)
	}
	key := acc.IDs[0]
	n, err := strconv.ParseUint(key, 10, 64)
	if err != nil {
		t.Fatalf("simulator id %q is not a number", key)
	}
	hexID := strconv.FormatUint(n, 16)
	state := func(s smpp.MessageState) smpp.TLVs {
		var ts smpp.TLVs
		ts.SetUint8(smpp.TagMessageState, uint8(s))
		return ts
	}
	tlvID := func(id string) smpp.TLVs {
		var ts smpp.TLVs
		ts.SetCString(smpp.TagReceiptedMessageID, id)
		ts.SetUint8(smpp.TagMessageState, uint8(smpp.StateDelivered))
		return ts
	}
	tests := []struct {
		name  string
		body  smpp.Body
		state string
	}{
		{"appendix b, upper-case hex", &smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt,
			ShortMessage: []byte("id:" + strings.ToUpper(hexID) + " sub:001 dlvrd:001 submit date:2401021504 done date:2401021506 stat:DELIVRD err:000 text:vendor")}, "DELIVRD"},
		{"decimal, zero-padded, upper-case keys", &smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt,
			ShortMessage: []byte("ID:00" + key + " SUB:001 DLVRD:000 SUBMIT DATE:2401021504 DONE DATE:2401021506 STAT:UNDELIV ERR:034 TEXT:")}, "UNDELIV"},
		{"vendor keys, spelled-out stat, 4-digit years", &smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt,
			ShortMessage: []byte(`MsgId:"` + hexID + `" SubmitDate:20240102150405 DoneDate:20240102150709 Stat:Expired Err:0`)}, "EXPIRED"},
		{"text in message_payload", &smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt,
			TLVs: smpp.TLVs{{Tag: smpp.TagMessagePayload, Value: []byte("id:" + key + " stat:REJECTD err:005")}}}, "REJECTD"},
		{"tlvs only", &smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt, TLVs: tlvID(hexID)}, "DELIVRD"},
		{"receipt flag missing, tlv present", &smpp.DeliverSM{TLVs: tlvID(hexID)}, "DELIVRD"},
		{"intermediate notification", &smpp.DeliverSM{ESMClass: smpp.ESMClassIntermediate, ShortMessage: []byte("id:" + hexID + " stat:ENROUTE"), TLVs: state(smpp.StateEnroute)}, "ENROUTE"},
		{"data_sm receipt", &smpp.DataSM{ESMClass: smpp.ESMClassReceipt, TLVs: tlvID(hexID)}, "DELIVRD"},
	}
	for _, tt := range tests {
		resp, err := sim.Inject(t.Context(), "shop", tt.body)
		if err != nil || resp.Status != smpp.StatusOK {
			t.Fatalf("%s: injected: %v, %v", tt.name, resp.Status, err)
		}
		if resp.ID != tt.body.CommandID().Resp() {
			t.Errorf("%s: answered with %s", tt.name, resp.ID)
		}
		r := <-got
		if r.ID != key || r.State != tt.state || r.Status != core.ReceiptStatus(tt.state) {
			t.Errorf("%s: receipt %+v, want id %s state %s", tt.name, r, key, tt.state)
		}
	}
}
