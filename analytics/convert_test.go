package analytics

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

func TestSubmitRow(t *testing.T) {
	t.Parallel()
	accepted := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	fallback := time.Date(2026, 3, 1, 12, 0, 5, 0, time.UTC)
	full := &recordv1.Submit{
		Id: "m1", TenantId: "t1", To: "+14155552671", From: "SHOP", Body: "hi",
		CampaignId: "c1", Category: ternv1.Category_CATEGORY_MARKETING, Segments: 2,
		Encoding: ternv1.Encoding_ENCODING_UCS2, AcceptedAt: timestamppb.New(accepted), Region: "US",
	}
	tests := []struct {
		name    string
		in      []byte
		want    Row
		wantErr error
	}{
		{
			name: "full",
			in:   marshal(t, full),
			want: Row{
				TenantID: "t1", MessageID: "m1", CampaignID: "c1", Status: core.StatusQueued,
				Time: accepted, Recipient: "+14155552671", Region: "US", Segments: 2,
				Encoding: gsm.UCS2, Category: core.CategoryMarketing, Submit: true, Sender: "SHOP",
			},
		},
		{
			name: "no accepted_at takes the record time",
			in:   marshal(t, &recordv1.Submit{Id: "m1", TenantId: "t1", Segments: 1}),
			want: Row{TenantID: "t1", MessageID: "m1", Status: core.StatusQueued, Time: fallback, Segments: 1, Submit: true},
		},
		{name: "no id", in: marshal(t, &recordv1.Submit{TenantId: "t1"}), wantErr: ErrInvalidRow},
		{name: "no tenant", in: marshal(t, &recordv1.Submit{Id: "m1"}), wantErr: ErrInvalidRow},
		{name: "garbage", in: []byte{0xff, 0xff, 0xff}, wantErr: ErrUndecodable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := submitRow(tt.in, fallback)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && !rowsEqual(got, tt.want) {
				t.Fatalf("row = %+v\nwant  %+v", got, tt.want)
			}
		})
	}
}

func TestEventRow(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 12, 0, 1, 5, time.UTC)
	fallback := time.Date(2026, 3, 1, 12, 0, 9, 0, time.UTC)
	tests := []struct {
		name    string
		in      []byte
		want    Row
		wantErr error
	}{
		{
			name: "receipt",
			in: marshal(t, &recordv1.Event{
				MessageId: "m1", TenantId: "t1", CampaignId: "c1", Status: ternv1.Status_STATUS_UNDELIVERED,
				Time: timestamppb.New(at), To: "+4930123456", Region: "DE", Segments: 3,
				Carrier: "sim", CarrierMessageId: "abc", ErrorCode: "011", Reason: "absent subscriber",
				Category: ternv1.Category_CATEGORY_OTP, Encoding: ternv1.Encoding_ENCODING_GSM7,
			}),
			want: Row{
				TenantID: "t1", MessageID: "m1", CampaignID: "c1", Status: core.StatusUndelivered,
				Time: at, Recipient: "+4930123456", Region: "DE", Segments: 3, Encoding: gsm.GSM7,
				Category: core.CategoryOTP, Carrier: "sim", CarrierMessageID: "abc",
				ErrorCode: "011", Reason: "absent subscriber",
			},
		},
		{
			name: "sender, price and acceptance carried",
			in: marshal(t, &recordv1.Event{MessageId: "m1", TenantId: "t1", Status: ternv1.Status_STATUS_SUBMITTED, Time: timestamppb.New(at),
				From: "SHOP", PriceMicros: 79_000, Currency: "EUR", AcceptedAt: timestamppb.New(at.Add(-time.Second))}),
			want: Row{TenantID: "t1", MessageID: "m1", Status: core.StatusSubmitted, Time: at, Sender: "SHOP", PriceMicros: 79_000,
				Currency: "EUR", AcceptedAt: at.Add(-time.Second)},
		},
		{
			name: "a price without a currency says nothing",
			in:   marshal(t, &recordv1.Event{MessageId: "m1", TenantId: "t1", Status: ternv1.Status_STATUS_SUBMITTED, Time: timestamppb.New(at), PriceMicros: 5}),
			want: Row{TenantID: "t1", MessageID: "m1", Status: core.StatusSubmitted, Time: at},
		},
		{
			name: "no time takes the record time",
			in:   marshal(t, &recordv1.Event{MessageId: "m1", TenantId: "t1", Status: ternv1.Status_STATUS_SUBMITTED}),
			want: Row{TenantID: "t1", MessageID: "m1", Status: core.StatusSubmitted, Time: fallback},
		},
		{name: "unspecified status", in: marshal(t, &recordv1.Event{MessageId: "m1", TenantId: "t1"}), wantErr: ErrInvalidRow},
		{name: "unknown status number", in: marshal(t, &recordv1.Event{MessageId: "m1", TenantId: "t1", Status: 42}), wantErr: ErrInvalidRow},
		{name: "negative status", in: marshal(t, &recordv1.Event{MessageId: "m1", TenantId: "t1", Status: -1}), wantErr: ErrInvalidRow},
		{name: "negative segments", in: marshal(t, &recordv1.Event{MessageId: "m1", TenantId: "t1", Status: 3, Segments: -2}), wantErr: ErrInvalidRow},
		{name: "garbage", in: []byte("not a protobuf \xff"), wantErr: ErrUndecodable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := eventRow(tt.in, fallback)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && !rowsEqual(got, tt.want) {
				t.Fatalf("row = %+v\nwant  %+v", got, tt.want)
			}
		})
	}
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rowsEqual(a, b Row) bool {
	if !a.Time.Equal(b.Time) {
		return false
	}
	a.Time, b.Time = time.Time{}, time.Time{}
	return a == b
}
