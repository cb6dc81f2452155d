package hygiene

import (
	"errors"
	"testing"
	"time"

	"github.com/ternsms/tern/core"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	usNumber  = "+14155552671"   // fixed line or mobile: takes SMS
	ukMobile  = "+4915112345678" // mobile (DE)
	ukLandine = "+442079460000"  // fixed line (GB)
)

func ago(d time.Duration) time.Time { return now.Add(-d) }

func at(d time.Duration, st core.Status, carrier, code string) Attempt {
	return Attempt{At: ago(d), Status: st, Carrier: carrier, ErrorCode: code}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	codes := MustCodes(DefaultRules(), []Rule{{"carrier-b", "206", ClassNotAllocated, "number not allocated"}})
	var (
		unknown  = at(time.Hour, core.StatusUndelivered, "carrier-a", "001")
		delivOld = at(40*24*time.Hour, core.StatusDelivered, "carrier-a", "000")
		expired  = at(2*time.Hour, core.StatusExpired, "carrier-a", "")
		undeliv  = at(3*time.Hour, core.StatusUndelivered, "carrier-a", "027")
		deliv    = at(4*time.Hour, core.StatusDelivered, "carrier-a", "")
	)
	tests := []struct {
		name   string
		h      History
		s      Settings
		want   Class
		detail string
	}{
		{"nothing known", History{Number: usNumber}, Settings{}, ClassNone, ""},
		{"delivered lately", History{Number: usNumber, Recent: []Attempt{deliv}, LastDelivered: deliv.At}, Settings{}, ClassNone, ""},
		{"invalid by plan", History{Number: "+1415555"}, Settings{}, ClassInvalid, "not a valid number"},
		{"landline by plan", History{Number: ukLandine}, Settings{}, ClassLandline, "line type fixed_line"},
		{"unknown subscriber", History{Number: ukMobile, Recent: []Attempt{unknown}}, Settings{}, ClassUnknownSubscriber, "carrier-a 001: MAP unknownSubscriber: no such subscriber in the HLR"},
		{"not allocated by one carrier's code", History{Number: ukMobile, Recent: []Attempt{at(time.Hour, core.StatusFailed, "carrier-b", "206")}}, Settings{}, ClassNotAllocated, "carrier-b 206: number not allocated"},
		{"another carrier's 206 proves nothing", History{Number: ukMobile, Recent: []Attempt{at(time.Hour, core.StatusFailed, "carrier-a", "206")}, LastDelivered: deliv.At}, Settings{}, ClassNone, ""},
		{"barred", History{Number: ukMobile, Recent: []Attempt{at(time.Hour, core.StatusRejected, "x", "13")}}, Settings{}, ClassBarred, "x 13: MAP callBarred: the subscriber is barred from receiving SMS"},
		{"smpp invalid destination", History{Number: ukMobile, Recent: []Attempt{at(time.Hour, core.StatusFailed, "x", "0x0000000b")}}, Settings{}, ClassInvalid, "x 0x0000000b: SMPP ESME_RINVDSTADR: invalid destination address"},
		{"landline by carrier", History{Number: ukMobile, Recent: []Attempt{at(time.Hour, core.StatusUndelivered, "x", "11")}}, Settings{}, ClassLandline, "x 11: MAP teleserviceNotProvisioned: the subscription has no SMS"},
		{"permanent needs its count", History{Number: ukMobile, Recent: []Attempt{unknown, deliv}, LastDelivered: deliv.At}, Settings{PermanentAfter: 2}, ClassNone, ""},
		{"permanent count met", History{Number: ukMobile, Recent: []Attempt{unknown, unknown}}, Settings{PermanentAfter: 2}, ClassUnknownSubscriber, "carrier-a 001: MAP unknownSubscriber: no such subscriber in the HLR"},
		{"a permanent code on a delivered status proves nothing", History{Number: ukMobile, Recent: []Attempt{at(time.Hour, core.StatusDelivered, "x", "1")}, LastDelivered: ago(time.Hour)}, Settings{}, ClassNone, ""},
		{"opted out", History{Number: ukMobile, OptedOut: true}, Settings{}, ClassOptedOut, ""},
		{"permanent before opted out", History{Number: ukMobile, Recent: []Attempt{unknown}, OptedOut: true}, Settings{}, ClassUnknownSubscriber, "carrier-a 001: MAP unknownSubscriber: no such subscriber in the HLR"},
		{"3 of 5 undelivered", History{Number: ukMobile, Recent: []Attempt{expired, undeliv, deliv, expired, deliv}, LastDelivered: deliv.At}, Settings{}, ClassRepeatedlyUndelivered, "3 of the last 5 not delivered"},
		{"2 of 5 undelivered", History{Number: ukMobile, Recent: []Attempt{expired, deliv, deliv, undeliv, deliv}, LastDelivered: deliv.At}, Settings{}, ClassNone, ""},
		{"never delivered in 30 days", History{Number: ukMobile, Recent: []Attempt{expired, delivOld}, LastDelivered: delivOld.At}, Settings{}, ClassNeverDelivered, "nothing delivered since 2026-01-30"},
		{"never messaged in 30 days", History{Number: ukMobile, Recent: []Attempt{delivOld}, LastDelivered: delivOld.At}, Settings{}, ClassNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Classify(tt.h, codes, tt.s, now)
			if got.Class != tt.want || got.Detail != tt.detail {
				t.Fatalf("Classify = %v %q, want %v %q", got.Class, got.Detail, tt.want, tt.detail)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	fail := History{Number: ukMobile, Recent: []Attempt{at(time.Hour, core.StatusUndelivered, "a", "1")}}
	perm := Verdict{Class: ClassUnknownSubscriber}
	tests := []struct {
		name string
		v    Verdict
		h    History
		m    Mark
		s    Settings
		want Action
	}{
		{"permanent suppresses", perm, fail, Mark{}, Settings{}, Suppress},
		{"manual only reports", perm, fail, Mark{}, Settings{ManualOnly: true}, Keep},
		{"not permanent", Verdict{Class: ClassRepeatedlyUndelivered}, fail, Mark{}, Settings{}, Keep},
		{"already suppressed", perm, fail, Mark{Class: ClassUnknownSubscriber, SuppressedAt: ago(30 * time.Minute)}, Settings{}, Keep},
		{"delivered since the suppression clears", Verdict{}, History{Number: ukMobile, LastDelivered: ago(time.Minute)},
			Mark{Class: ClassUnknownSubscriber, SuppressedAt: ago(time.Hour)}, Settings{}, Clear},
		{"a manual clear holds", perm, fail, Mark{ClearedAt: ago(time.Minute), ClearedBy: "api"}, Settings{}, Keep},
		{"a manual clear holds without attempts", Verdict{Class: ClassInvalid}, History{Number: "+1415555"}, Mark{ClearedAt: ago(time.Minute)}, Settings{}, Keep},
		{"a newer failure suppresses again", perm, fail, Mark{ClearedAt: ago(2 * time.Hour)}, Settings{}, Suppress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Decide(tt.v, tt.h, tt.m, tt.s); got != tt.want {
				t.Fatalf("Decide = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCodes(t *testing.T) {
	t.Parallel()
	c := MustCodes(DefaultRules(), []Rule{{"b", "0001", ClassBarred, "b's own"}})
	tests := []struct {
		carrier, code string
		want          Class
	}{
		{"a", "001", ClassUnknownSubscriber},
		{"a", "1", ClassUnknownSubscriber},
		{"a", " 0001 ", ClassUnknownSubscriber},
		{"b", "001", ClassBarred},
		{"a", "0x0000000b", ClassInvalid},
		{"a", "0xB", ClassInvalid},
		{"a", "027", ClassNone},
		{"a", "", ClassNone},
		{"a", "in_doubt", ClassNone},
	}
	for _, tt := range tests {
		r, ok := c.Lookup(tt.carrier, tt.code)
		if got := r.Class; got != tt.want || ok != (tt.want != ClassNone) {
			t.Errorf("Lookup(%q, %q) = %v %v, want %v", tt.carrier, tt.code, got, ok, tt.want)
		}
	}
	var zero *Codes
	if _, ok := zero.Lookup("a", "1"); ok {
		t.Error("nil Codes found a rule")
	}
	for _, bad := range [][]Rule{
		{{"", "1", ClassBarred, ""}},
		{{"a", " ", ClassBarred, ""}},
		{{"a", "1", ClassNeverDelivered, ""}},
	} {
		if _, err := NewCodes(bad); !errors.Is(err, ErrInvalidRule) {
			t.Errorf("NewCodes(%v) = %v, want ErrInvalidRule", bad, err)
		}
	}
}

func TestClassNames(t *testing.T) {
	t.Parallel()
	for _, c := range Classes {
		got, err := ParseClass(c.Key())
		if err != nil || got != c {
			t.Errorf("ParseClass(%q) = %v, %v", c.Key(), got, err)
		}
		if got, _ := ParseClass(c.String()); got != c {
			t.Errorf("ParseClass(%q) = %v", c.String(), got)
		}
	}
	if ClassUnknownSubscriber.Reason() != "hygiene: unknown subscriber" {
		t.Errorf("Reason = %q", ClassUnknownSubscriber.Reason())
	}
	if _, err := ParseClass("bogus"); !errors.Is(err, ErrUnknownClass) {
		t.Errorf("ParseClass(bogus) = %v", err)
	}
	for c := ClassInvalid; c <= ClassBarred; c++ {
		if !c.Permanent() || c > 15 {
			t.Errorf("%v: permanent classes must fit four bits", c)
		}
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	if err := (Settings{}).Validate(); err != nil {
		t.Fatal(err)
	}
	d := Settings{}.WithDefaults()
	if d.UndeliveredN != 3 || d.UndeliveredM != 5 || d.PermanentAfter != 1 || d.NeverDeliveredFor != 30*24*time.Hour || d.ManualOnly {
		t.Fatalf("defaults %+v", d)
	}
	for _, bad := range []Settings{{UndeliveredN: 6, UndeliveredM: 5}, {UndeliveredM: 51}, {PermanentAfter: -1}, {NeverDeliveredFor: time.Minute}} {
		if err := bad.Validate(); !errors.Is(err, ErrInvalidSettings) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if w := (Settings{PermanentAfter: 7}).Window(); w != 7 {
		t.Errorf("Window = %d", w)
	}
}
