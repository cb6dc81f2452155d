package smpp_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/testkit"
)

// TestLongMessageModes sends long texts by UDH, SAR parameters and
// message_payload, in GSM-7, UCS-2, a national shift table and packed
// GSM-7, and checks that the simulator reassembles each exactly once and
// that every id the client returns gets its receipt.
func TestLongMessageModes(t *testing.T) {
	t.Parallel()
	texts := []struct {
		name   string
		text   string
		coding gsm.Options
		packed bool
		parts  int
	}{
		{"gsm7", strings.Repeat("Cart reminder: your items wait. ", 13)[:400], gsm.Options{}, false, 3},
		{"gsm7 escapes", strings.Repeat("{€}", 100), gsm.Options{}, false, 4},
		{"ucs2", strings.Repeat("Ваш заказ отправлен. ", 8), gsm.Options{}, false, 3},
		{"ucs2 surrogates", strings.Repeat("Order 📦 shipped! ", 5), gsm.Options{}, false, 2},
		{"turkish shift", strings.Repeat("Şişli'deki siparişiniz yola çıktı. ", 6), gsm.Options{Languages: gsm.AllLanguages}, false, 2},
		{"turkish shift, one part", "Siparişiniz yola çıktı, Şişli", gsm.Options{Languages: gsm.AllLanguages}, false, 1},
		{"packed", strings.Repeat("Packed septets travel eight in seven. ", 6), gsm.Options{}, true, 2},
		{"packed, one part, CR at the end", "Code 123456\r", gsm.Options{}, true, 1},
	}
	modes := []smpp.LongMode{smpp.LongUDH, smpp.LongSAR, smpp.LongPayload}
	for _, packed := range []bool{false, true} {
		cfg := smscsim.Config{Packed: packed, Seed: 11, DeliveredRatio: 0.5, UndeliveredRatio: 0.5}
		sim := startSim(t, cfg)
		for _, mode := range modes {
			rs := newReceipts()
			// Receipts go to any receiver of the system_id: one each.
			c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), SystemID: fmt.Sprintf("%s-%v", mode, packed), LongMessages: mode, Packed: packed},
				smpp.WithReceiptHandler(rs.handle))
			for i, tt := range texts {
				if tt.packed != packed {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s", mode, tt.name), func(t *testing.T) {
					if got := gsm.Analyze(tt.text, tt.coding).Segments; got != tt.parts {
						t.Fatalf("test text has %d parts, want %d", got, tt.parts)
					}
					s := &carriers.Submission{
						To:                 fmt.Sprintf("+44770%d%02d%04d", mode, i, len(tt.text)),
						From:               "Shop",
						Text:               tt.text,
						Coding:             tt.coding,
						RegisteredDelivery: true,
					}
					acc, err := c.Submit(t.Context(), s)
					if err != nil {
						t.Fatal(err)
					}
					wantIDs := tt.parts
					if mode == smpp.LongPayload {
						wantIDs = 1
					}
					if len(acc.IDs) != wantIDs {
						t.Fatalf("%d ids, want %d", len(acc.IDs), wantIDs)
					}
					if got := sim.Submits(s.To, s.Text); got != 1 {
						t.Errorf("simulator read the text %d times, want once", got)
					}
					want := cfg.Outcome(s.To, s.Text)
					testkit.Eventually(t, 5*time.Second, func() error {
						for _, id := range acc.IDs {
							if len(rs.get(id)) == 0 {
								return fmt.Errorf("no receipt for %s", id)
							}
						}
						return nil
					})
					for _, id := range acc.IDs {
						if r := rs.get(id); len(r) != 1 || r[0].State != want {
							t.Errorf("id %s: receipts %+v, want one %s", id, r, want)
						}
					}
				})
			}
		}
	}
}

// TestRawSubmission sends a message its sender encoded and split
// itself, part by part, as the SMPP gateway passes a customer's
// submit_sm on: each part goes as it is.
func TestRawSubmission(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr(), LongMessages: smpp.LongSAR})
	text := strings.Repeat("Raw parts from a customer. ", 10)
	msg := gsm.Split(text, 0x42, gsm.Options{})
	if msg.Len() != 2 {
		t.Fatalf("%d parts", msg.Len())
	}
	var ids []string
	for _, sm := range msg.Parts() {
		acc, err := c.Submit(t.Context(), &carriers.Submission{To: "+4915600000001", Text: "ignored",
			Raw: &carriers.Raw{DataCoding: msg.DataCoding, UDHI: msg.UDHI, ShortMessage: sm}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, acc.IDs...)
	}
	if len(ids) != 2 || sim.Submits("+4915600000001", text) != 1 {
		t.Errorf("ids %v, simulator took the text %d times; want 2 ids, once", ids, sim.Submits("+4915600000001", text))
	}
}

func TestParseLongAndBindModes(t *testing.T) {
	t.Parallel()
	for _, m := range []smpp.LongMode{smpp.LongUDH, smpp.LongSAR, smpp.LongPayload} {
		b, _ := m.MarshalText()
		var got smpp.LongMode
		if err := got.UnmarshalText(b); err != nil || got != m {
			t.Errorf("%v: round trip gave %v, %v", m, got, err)
		}
	}
	for _, m := range []smpp.BindMode{smpp.BindTransceivers, smpp.BindTransmitterReceiver} {
		b, _ := m.MarshalText()
		var got smpp.BindMode
		if err := got.UnmarshalText(b); err != nil || got != m {
			t.Errorf("%v: round trip gave %v, %v", m, got, err)
		}
	}
	if _, err := smpp.ParseLongMode("smoke signals"); err == nil {
		t.Error("bad long mode accepted")
	}
	if _, err := smpp.ParseBindMode("rx"); err == nil {
		t.Error("bad bind mode accepted")
	}
}

func TestSubmitTooLong(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smscsim.Config{})
	c := startClient(t, smpp.ClientConfig{Addr: sim.Addr()})
	_, err := c.Submit(t.Context(), &carriers.Submission{To: "+4915100000009", Text: strings.Repeat("x", 153*256)})
	if !errors.Is(err, smpp.ErrTooLong) || carriers.IsRetriable(err) {
		t.Fatalf("got %v, want permanent ErrTooLong", err)
	}
}
