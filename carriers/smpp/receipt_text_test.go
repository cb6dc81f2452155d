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
