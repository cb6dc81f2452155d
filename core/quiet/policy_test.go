package quiet

import (
	"errors"
	"testing"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/phone"
)

var (
	newYork = phone.Number{E164: "+12125550123", Region: "US", CountryCode: 1, Valid: true, TimeZones: []string{"America/New_York"}}
	paris   = phone.Number{E164: "+33612345678", Region: "FR", CountryCode: 33, Valid: true, TimeZones: []string{"Europe/Paris"}}
	london  = phone.Number{E164: "+447400123456", Region: "GB", CountryCode: 44, Valid: true, TimeZones: []string{"Europe/London"}}
	coasts  = phone.Number{E164: "+18005550199", Region: "US", CountryCode: 1, Valid: true, TimeZones: []string{"America/New_York", "America/Los_Angeles"}}
	unknown = phone.Number{E164: "+18005550100", Region: "US", CountryCode: 1, Valid: true}
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestCheck(t *testing.T) {
	t.Parallel()
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		at      string
		cat     core.Category
		to      phone.Number
		allowed bool
		next    string
		zone    string
	}{
		{"transactional at night", "2026-06-01T07:00:00Z", core.CategoryTransactional, newYork, true, "2026-06-01T07:00:00Z", "America/New_York"},
		{"otp at night", "2026-06-01T07:00:00Z", core.CategoryOTP, newYork, true, "2026-06-01T07:00:00Z", "America/New_York"},
		{"unspecified is transactional", "2026-06-01T07:00:00Z", core.CategoryUnspecified, newYork, true, "2026-06-01T07:00:00Z", "America/New_York"},
		{"marketing 08:00 inclusive", "2026-06-01T12:00:00Z", core.CategoryMarketing, newYork, true, "2026-06-01T12:00:00Z", "America/New_York"},
		{"marketing 20:59", "2026-06-02T00:59:59Z", core.CategoryMarketing, newYork, true, "2026-06-02T00:59:59Z", "America/New_York"},
		{"marketing 21:00 exclusive", "2026-06-02T01:00:00Z", core.CategoryMarketing, newYork, false, "2026-06-02T12:00:00Z", "America/New_York"},
		{"marketing 07:59", "2026-06-01T11:59:00Z", core.CategoryMarketing, newYork, false, "2026-06-01T12:00:00Z", "America/New_York"},

		// US DST: 2026-03-08 02:00 EST -> 03:00 EDT.
		{"us night before spring forward", "2026-03-08T06:00:00Z", core.CategoryMarketing, newYork, false, "2026-03-08T12:00:00Z", "America/New_York"},
		{"us 07:30 EST the day before", "2026-03-07T12:30:00Z", core.CategoryMarketing, newYork, false, "2026-03-07T13:00:00Z", "America/New_York"},
		{"us 08:30 EDT after spring forward", "2026-03-08T12:30:00Z", core.CategoryMarketing, newYork, true, "2026-03-08T12:30:00Z", "America/New_York"},
		{"us evening after spring forward", "2026-03-09T00:30:00Z", core.CategoryMarketing, newYork, true, "2026-03-09T00:30:00Z", "America/New_York"},
		{"us 21:30 EDT", "2026-03-09T01:30:00Z", core.CategoryMarketing, newYork, false, "2026-03-09T12:00:00Z", "America/New_York"},
		// 2026-11-01 02:00 EDT -> 01:00 EST.
		{"us night of fall back", "2026-11-01T05:30:00Z", core.CategoryMarketing, newYork, false, "2026-11-01T13:00:00Z", "America/New_York"},
		{"us 07:30 EST after fall back", "2026-11-01T12:30:00Z", core.CategoryMarketing, newYork, false, "2026-11-01T13:00:00Z", "America/New_York"},

		// EU DST: 2026-03-29 01:00 UTC and 2026-10-25 01:00 UTC.
		{"paris 07:30 CET before spring forward", "2026-03-28T06:30:00Z", core.CategoryMarketing, paris, false, "2026-03-28T07:00:00Z", "Europe/Paris"},
		{"paris 07:30 CEST after spring forward", "2026-03-29T05:30:00Z", core.CategoryMarketing, paris, false, "2026-03-29T06:00:00Z", "Europe/Paris"},
		{"paris 20:30 CEST", "2026-03-29T18:30:00Z", core.CategoryMarketing, paris, true, "2026-03-29T18:30:00Z", "Europe/Paris"},
		{"paris 21:30 CET after fall back", "2026-10-25T20:30:00Z", core.CategoryMarketing, paris, false, "2026-10-26T07:00:00Z", "Europe/Paris"},
		{"london night of fall back", "2026-10-25T00:30:00Z", core.CategoryMarketing, london, false, "2026-10-25T08:00:00Z", "Europe/London"},

		// Several zones: the intersection, 11:00-21:00 Eastern in summer.
		{"coasts too early in the west", "2026-06-01T13:00:00Z", core.CategoryMarketing, coasts, false, "2026-06-01T15:00:00Z", "America/New_York,America/Los_Angeles"},
		{"coasts too late in the east", "2026-06-02T01:30:00Z", core.CategoryMarketing, coasts, false, "2026-06-02T15:00:00Z", "America/New_York,America/Los_Angeles"},
		{"coasts both open", "2026-06-01T20:00:00Z", core.CategoryMarketing, coasts, true, "2026-06-01T20:00:00Z", "America/New_York,America/Los_Angeles"},
		{"unknown zones use the +1 zone", "2026-06-01T11:00:00Z", core.CategoryMarketing, unknown, false, "2026-06-01T12:00:00Z", "America/New_York"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := p.Check(utc(tt.at), tt.cat, tt.to)
			if d.Allowed != tt.allowed || !d.NextAllowed.Equal(utc(tt.next)) || d.TimeZone != tt.zone {
				t.Fatalf("Check = %+v (next %s), want allowed %v next %s zone %s", d, d.NextAllowed.Format(time.RFC3339), tt.allowed, tt.next, tt.zone)
			}
			if d.NextAllowed.Location() != time.UTC {
				t.Fatalf("next allowed in %v, want UTC", d.NextAllowed.Location())
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	t.Parallel()
	base, err := New(Config{Countries: map[string]Window{"FR": {ClockOf(10, 0), ClockOf(20, 0)}}})
	if err != nil {
		t.Fatal(err)
	}
	tenant, err := base.WithTenant(Config{Default: Window{ClockOf(9, 0), ClockOf(18, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	// Non-overlapping zones: a 9-hour window in New York and Tokyo never
	// overlaps, so the configured +1 zone decides.
	split := phone.Number{Region: "US", CountryCode: 1, TimeZones: []string{"Asia/Tokyo", "America/New_York"}}
	night, err := New(Config{Countries: map[string]Window{"US": {ClockOf(9, 0), ClockOf(17, 0)}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		p       *Policy
		at      string
		to      phone.Number
		allowed bool
		next    string
		zone    string
	}{
		{"country window", base, "2026-06-01T07:30:00Z", paris, false, "2026-06-01T08:00:00Z", "Europe/Paris"},
		{"country window end", base, "2026-06-01T18:00:00Z", paris, false, "2026-06-02T08:00:00Z", "Europe/Paris"},
		{"built-in elsewhere", base, "2026-06-01T07:30:00Z", london, true, "2026-06-01T07:30:00Z", "Europe/London"},
		{"tenant default", tenant, "2026-06-01T17:30:00Z", london, false, "2026-06-02T08:00:00Z", "Europe/London"},
		{"country beats tenant default", tenant, "2026-06-01T17:30:00Z", paris, true, "2026-06-01T17:30:00Z", "Europe/Paris"},
		{"no overlap: configured zone decides", night, "2026-06-01T14:00:00Z", split, true, "2026-06-01T14:00:00Z", "America/New_York"},
		{"no overlap: next in configured zone", night, "2026-06-01T22:00:00Z", split, false, "2026-06-02T13:00:00Z", "America/New_York"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := tt.p.Check(utc(tt.at), core.CategoryMarketing, tt.to)
			if d.Allowed != tt.allowed || !d.NextAllowed.Equal(utc(tt.next)) || d.TimeZone != tt.zone {
				t.Fatalf("Check = %+v (next %s), want allowed %v next %s zone %s", d, d.NextAllowed.Format(time.RFC3339), tt.allowed, tt.next, tt.zone)
			}
		})
	}
}

func TestParseWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Window
		wantErr bool
	}{
		{"08:00-21:00", DefaultWindow, false},
		{" 22:00 - 06:30 ", Window{ClockOf(22, 0), ClockOf(6, 30)}, false},
		{"00:00-24:00", Window{0, 1440}, false},
		{"9:00-17:00", Window{ClockOf(9, 0), ClockOf(17, 0)}, false},
		{"08:00-08:00", Window{}, true},
		{"25:00-26:00", Window{}, true},
		{"08:00", Window{}, true},
		{"24:30-01:00", Window{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseWindow(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseWindow = %v, %v; want %v, err %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrWindow) {
				t.Fatalf("error %v is not ErrWindow", err)
			}
		})
	}
}

func TestWindowCrossingMidnight(t *testing.T) {
	t.Parallel()
	p, err := New(Config{Default: Window{ClockOf(22, 0), ClockOf(6, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	d := p.Check(utc("2026-06-01T12:00:00Z"), core.CategoryMarketing, london) // 13:00 BST
	if d.Allowed || !d.NextAllowed.Equal(utc("2026-06-01T21:00:00Z")) {
		t.Fatalf("Check = %+v", d)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{Zones: map[string]string{"+1": "Mars/Base"}}); !errors.Is(err, ErrZone) {
		t.Fatalf("bad zone: %v", err)
	}
	if _, err := New(Config{Countries: map[string]Window{"FR": {ClockOf(9, 0), ClockOf(9, 0)}}}); !errors.Is(err, ErrWindow) {
		t.Fatalf("empty window: %v", err)
	}
}

func BenchmarkCheck(b *testing.B) {
	p, _ := New(Config{})
	at := utc("2026-06-02T01:30:00Z")
	b.ReportAllocs()
	for b.Loop() {
		p.Check(at, core.CategoryMarketing, coasts)
	}
}
