package smpp_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core"
)

func TestParseReceiptText(t *testing.T) {
	t.Parallel()
	date := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name    string
		in      string
		want    smpp.ReceiptText
		wantErr error
	}{
		{
			name: "standard",
			in:   "id:0123456789 sub:001 dlvrd:001 submit date:2401021504 done date:2401021506 stat:DELIVRD err:000 text:Your order has shipp",
			want: smpp.ReceiptText{ID: "0123456789", Sub: "001", Dlvrd: "001", SubmitDate: date("2024-01-02 15:04:00"), DoneDate: date("2024-01-02 15:06:00"), Stat: "DELIVRD", Err: "000", Text: "Your order has shipp"},
		},
		{
			name: "seconds in dates",
			in:   "id:7f3a sub:001 dlvrd:000 submit date:240102150405 done date:240102150709 stat:UNDELIV err:001 text:",
			want: smpp.ReceiptText{ID: "7f3a", Sub: "001", Dlvrd: "000", SubmitDate: date("2024-01-02 15:04:05"), DoneDate: date("2024-01-02 15:07:09"), Stat: "UNDELIV", Err: "001"},
		},
		{
			name: "upper case keys",
			in:   "ID:42 SUB:001 DLVRD:001 SUBMIT DATE:2401021504 DONE DATE:2401021506 STAT:DELIVRD ERR:000 TEXT:hello",
			want: smpp.ReceiptText{ID: "42", Sub: "001", Dlvrd: "001", SubmitDate: date("2024-01-02 15:04:00"), DoneDate: date("2024-01-02 15:06:00"), Stat: "DELIVRD", Err: "000", Text: "hello"},
		},
		{
			name: "lower case stat, underscores in date keys",
			in:   "id:42 submit_date:2401021504 done_date:2401021506 stat:expired err:0",
			want: smpp.ReceiptText{ID: "42", SubmitDate: date("2024-01-02 15:04:00"), DoneDate: date("2024-01-02 15:06:00"), Stat: "EXPIRED", Err: "0"},
		},
		{
			name: "only id and stat",
			in:   "id:abc stat:REJECTD",
			want: smpp.ReceiptText{ID: "abc", Stat: "REJECTD"},
		},
		{
			name: "unknown fields and extra spaces",
			in:   "  id:9  foo:bar  sub:001\tstat:DELIVRD  ",
			want: smpp.ReceiptText{ID: "9", Sub: "001", Stat: "DELIVRD"},
		},
		{
			name: "text keeps everything after it",
			in:   "id:1 stat:DELIVRD text:stat:UNDELIV id:2",
			want: smpp.ReceiptText{ID: "1", Stat: "DELIVRD", Text: "stat:UNDELIV id:2"},
		},
		{
			name: "unreadable dates stay zero",
			in:   "id:1 submit date:24010215 done date:24x1021506 stat:DELIVRD",
			want: smpp.ReceiptText{ID: "1", Stat: "DELIVRD"},
		},
		{
			name: "vendor keys, four-digit years, quoted id, spelled-out stat",
			in:   `MsgId:"0A1B" SubmitDate:20240102150405 Done-Date:20240102150709 Stat:Delivered Error:0`,
			want: smpp.ReceiptText{ID: "0A1B", SubmitDate: date("2024-01-02 15:04:05"), DoneDate: date("2024-01-02 15:07:09"), Stat: "DELIVRD", Err: "0"},
		},
		{
			name: "message_id key, numeric state",
			in:   "message_id:12345 state:5 err:034",
			want: smpp.ReceiptText{ID: "12345", Stat: "UNDELIV", Err: "034"},
		},
		{
			name: "spelled-out failures",
			in:   "id:9 stat:UNDELIVERABLE",
			want: smpp.ReceiptText{ID: "9", Stat: "UNDELIV"},
		},
		{name: "empty", in: "", wantErr: smpp.ErrNoReceipt},
		{name: "a plain message", in: "Hello, see you at 5", wantErr: smpp.ErrNoReceipt},
		{name: "keys without values", in: "id: stat: err:000", want: smpp.ReceiptText{Err: "000"}, wantErr: smpp.ErrNoReceipt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := smpp.ParseReceiptText(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestFormatReceiptTextRoundTrip(t *testing.T) {
	t.Parallel()
	in := smpp.ReceiptText{ID: "18e4f0a2b7c", Sub: "001", Dlvrd: "001",
		SubmitDate: time.Date(2024, 1, 2, 15, 4, 5, 0, time.UTC), DoneDate: time.Date(2024, 1, 2, 15, 7, 9, 0, time.UTC),
		Stat: "DELIVRD", Err: "000", Text: "Ваш заказ отправлен сегодня"}
	got, err := smpp.ParseReceiptText(smpp.FormatReceiptText(in))
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.Text = "Ваш заказ отправлен " // cut to 20 characters
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestReceiptIDsMatchSubmitIDs checks, for every id form the client
// accepts, that the key Submit records for a submit_sm_resp id equals the
// key ParseReceipt reads from the receipt of the same message.
func TestReceiptIDsMatchSubmitIDs(t *testing.T) {
	t.Parallel()
	receipt := func(textID, tlvID string) *smpp.DeliverSM {
		d := &smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt}
		if textID != "" {
			d.ShortMessage = []byte("id:" + textID + " sub:001 dlvrd:001 submit date:2401021504 done date:2401021506 stat:DELIVRD err:000 text:")
		}
		if tlvID != "" {
			d.TLVs.SetCString(smpp.TagReceiptedMessageID, tlvID)
			d.TLVs.SetUint8(smpp.TagMessageState, uint8(smpp.StateDelivered))
		}
		return d
	}
	tests := []struct {
		name         string
		resp         string // the id in submit_sm_resp
		respFmt      smpp.IDFormat
		receiptFmt   smpp.IDFormat
		d            *smpp.DeliverSM
		wantKey      string
		wantMismatch bool // a form the settings cannot reconcile
	}{
		{"hex both, auto", "1a2b", smpp.IDAuto, smpp.IDAuto, receipt("1A2B", ""), "6699", false},
		{"hex answer, decimal receipt, auto", "1a2b", smpp.IDAuto, smpp.IDAuto, receipt("6699", ""), "6699", false},
		{"decimal answer, zero-padded receipt", "12345", smpp.IDAuto, smpp.IDAuto, receipt("0000012345", ""), "12345", false},
		{"hex without letters is ambiguous in auto", "3039", smpp.IDAuto, smpp.IDAuto, receipt("12345", ""), "3039", true},
		{"hex without letters, declared", "3039", smpp.IDHex, smpp.IDDecimal, receipt("12345", ""), "12345", false},
		{"decimal answer, hex receipt, declared", "12345", smpp.IDDecimal, smpp.IDHex, receipt("3039", ""), "12345", false},
		{"hex both declared, padded", "00ff", smpp.IDHex, smpp.IDHex, receipt("FF", ""), "255", false},
		{"tlv repeats the answer", "3039", smpp.IDHex, smpp.IDDecimal, receipt("12345", "3039"), "12345", false},
		{"tlv only", "3039", smpp.IDHex, smpp.IDDecimal, receipt("", "3039"), "12345", false},
		{"long hex beyond 64 bits", "1234567890abcdef1234", smpp.IDHex, smpp.IDDecimal, receipt("85968058272638546416180", ""), "85968058272638546416180", false},
		{"uuid as is", "6F9619FF-8B86-D011-B42D-00C04FC964FF", smpp.IDAsIs, smpp.IDAsIs, receipt("6F9619FF-8B86-D011-B42D-00C04FC964FF", ""), "6F9619FF-8B86-D011-B42D-00C04FC964FF", false},
		{"alphanumeric, auto", "MSG-77X", smpp.IDAuto, smpp.IDAuto, receipt("msg-77x", ""), "msg-77x", false},
		{"quoted id", "77", smpp.IDAuto, smpp.IDAuto, &smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt, ShortMessage: []byte(`MsgId:"77" Stat:Delivered`)}, "77", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			submitKey := tt.respFmt.Normalize(tt.resp)
			r, err := smpp.ParseReceipt(tt.d, tt.respFmt, tt.receiptFmt)
			if err != nil {
				t.Fatal(err)
			}
			if submitKey != tt.wantKey {
				t.Errorf("submit key %q, want %q", submitKey, tt.wantKey)
			}
			if (r.ID != submitKey) != tt.wantMismatch {
				t.Errorf("receipt key %q, submit key %q (mismatch expected: %v)", r.ID, submitKey, tt.wantMismatch)
			}
			if r.State != "DELIVRD" {
				t.Errorf("state %q", r.State)
			}
		})
	}
}

func TestParseIDFormat(t *testing.T) {
	t.Parallel()
	for _, f := range []smpp.IDFormat{smpp.IDAuto, smpp.IDHex, smpp.IDDecimal, smpp.IDAsIs} {
		b, _ := f.MarshalText()
		var got smpp.IDFormat
		if err := got.UnmarshalText(b); err != nil || got != f {
			t.Errorf("%v: round trip gave %v, %v", f, got, err)
		}
	}
	if _, err := smpp.ParseIDFormat("octal"); err == nil {
		t.Error("octal accepted")
	}
}

func TestReceiptOf(t *testing.T) {
	t.Parallel()
	withTLVs := func(id string, state smpp.MessageState, netErr []byte) smpp.TLVs {
		var ts smpp.TLVs
		if id != "" {
			ts.SetCString(smpp.TagReceiptedMessageID, id)
		}
		if state != 0 {
			ts.SetUint8(smpp.TagMessageState, uint8(state))
		}
		if netErr != nil {
			ts.Set(smpp.TagNetworkErrorCode, netErr)
		}
		return ts
	}
	text := "id:00000000ff sub:001 dlvrd:001 submit date:2401021504 done date:2401021506 stat:DELIVRD err:000 text:x"
	tests := []struct {
		name    string
		d       smpp.DeliverSM
		want    carriers.Receipt
		wantErr error
	}{
		{
			name: "text only, hex id normalized",
			d:    smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt, ShortMessage: []byte(text)},
			want: carriers.Receipt{ID: "255", Status: core.StatusDelivered, State: "DELIVRD", Err: "000", Done: time.Date(2024, 1, 2, 15, 6, 0, 0, time.UTC)},
		},
		{
			name: "tlvs win over text",
			d:    smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt, ShortMessage: []byte(text), TLVs: withTLVs("1000", smpp.StateUndeliverable, []byte{3, 0, 34})},
			want: carriers.Receipt{ID: "1000", Status: core.StatusUndelivered, State: "UNDELIV", Err: "34", Done: time.Date(2024, 1, 2, 15, 6, 0, 0, time.UTC)},
		},
		{
			name: "tlvs only, receipt in message_payload absent",
			d:    smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt, TLVs: withTLVs("0A", smpp.StateExpired, nil)},
			want: carriers.Receipt{ID: "10", Status: core.StatusExpired, State: "EXPIRED"},
		},
		{
			name: "receipt text in message_payload",
			d:    smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt, TLVs: smpp.TLVs{{Tag: smpp.TagMessagePayload, Value: []byte("id:77 stat:REJECTD err:005")}}},
			want: carriers.Receipt{ID: "77", Status: core.StatusRejected, State: "REJECTD", Err: "005"},
		},
		{
			name:    "no id anywhere",
			d:       smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt, ShortMessage: []byte("stat:DELIVRD")},
			wantErr: smpp.ErrNoReceipt,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := smpp.ReceiptOf(&tt.d)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
