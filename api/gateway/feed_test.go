package gateway

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline"
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

// A reply or a final status whose text carries a NUL (PostgreSQL refuses
// NUL in text) is recorded with the NUL escaped, and a record that does
// not decode goes to the dead-letter topic with the reason: neither stops
// the replies and receipts after them.
func TestFeedGoesPastPoison(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme", Numbers: []string{"12345"}})
	c := dialESME(t, srv.Addr())
	c.bind(smpp.BindReceiver, "acme", "secret", smpp.StatusOK)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.mo.WriteMessages(ctx, kafka.Message{Key: []byte("x"), Value: []byte("\xff\xffnot a reply")}); err != nil {
		t.Fatal(err)
	}
	e.reply("+14155552671", "12345", "STOP\x00now")
	e.final("acme", "01NULERROR", core.StatusUndelivered, "0\x001")
	e.reply("+14155552672", "12345", "HELLO")
	testkit.Eventually(t, 20*time.Second, func() error {
		if n := len(c.received()); n != 2 {
			return fmt.Errorf("%d replies, want 2", n)
		}
		return nil
	})
	got := map[string]string{}
	for _, d := range c.received() {
		in, err := smpp.InboundOf(d)
		if err != nil {
			t.Fatal(err)
		}
		got[in.From] = in.Text
	}
	if got["+14155552671"] != `STOP\x00now` || got["+14155552672"] != "HELLO" {
		t.Fatalf("replies %q, want the NUL escaped and the reply after it", got)
	}
	var code string
	if err := e.store.pool.QueryRow(ctx, "SELECT error_code FROM smpp_messages WHERE message_id = '01NULERROR'").Scan(&code); err != nil || code != `0\x001` {
		t.Fatalf("final status's error code %q, %v; want the NUL escaped", code, err)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		dls, err := pipeline.ListDeadLetters(ctx, e.kafka)
		if err != nil || len(dls) != 1 {
			return fmt.Errorf("dead letters %+v, %v; want the undecodable reply", dls, err)
		}
		if dl := dls[0]; dl.SourceTopic != e.kafka.Topics.MO || !strings.Contains(dl.Reason, "undecodable reply") {
			return fmt.Errorf("dead letter %+v, want the record from %s with its reason", dl, e.kafka.Topics.MO)
		}
		return nil
	})
}
