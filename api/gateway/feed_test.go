package gateway

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// foreignEvent must agree with a full decode on every event it reads.
func TestForeignEvent(t *testing.T) {
	t.Parallel()
	full := func(origin string) *recordv1.Event {
		return &recordv1.Event{
			MessageId: "01JX", TenantId: "shop", CampaignId: "c", Status: ternv1.Status_STATUS_DELIVERED,
			Time: timestamppb.Now(), To: "+14155552671", Region: "US", Segments: 2, Carrier: "sim",
			CarrierMessageId: "abc", ErrorCode: "000", Reason: "r", InDoubt: true, Origin: origin,
		}
	}
	enc := func(ev *recordv1.Event) []byte {
		b, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	twice := append(enc(full("smpp/acme")), enc(&recordv1.Event{Origin: "api"})...)
	twiceBack := append(enc(full("api")), enc(&recordv1.Event{Origin: "smpp/acme"})...)
	tests := []struct {
		name    string
		b       []byte
		foreign bool
	}{
		{"gateway", enc(full("smpp/acme")), false},
		{"api", enc(full("api")), true},
		{"no origin", enc(full("")), true},
		{"prefix only in the middle", enc(full("x-smpp/acme")), true},
		{"empty record", nil, true},
		{"later origin wins, not the gateway's", twice, true},
		{"later origin wins, the gateway's", twiceBack, false},
		{"truncated", enc(full("api"))[:7], false},
		{"bad tag", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false},
		{"origin with the wrong wire type", protowire.AppendVarint(protowire.AppendTag(nil, eventOriginField, protowire.VarintType), 5), true},
	}
	for _, tt := range tests {
		if got := foreignEvent(tt.b); got != tt.foreign {
			t.Errorf("%s: foreign %v, want %v", tt.name, got, tt.foreign)
		}
		var ev recordv1.Event
		if err := proto.Unmarshal(tt.b, &ev); err == nil {
			if decoded := !strings.HasPrefix(ev.Origin, originPrefix); decoded != tt.foreign {
				t.Errorf("%s: the full decode says foreign %v", tt.name, decoded)
			}
		} else if tt.foreign {
			t.Errorf("%s: foreign, but the full decode fails: %v", tt.name, err)
		}
	}
}
