package price

import (
	"errors"
	"strings"
	"testing"
)

const sample = `# tern price table
country,route,price,currency
US,,0.0079,USD
US,premium,0.011,USD
GB,,0.035,USD

*,,0.05,USD
`

func TestEstimate(t *testing.T) {
	t.Parallel()
	tab, err := Load(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		country, route string
		segments       int
		per, total     string
		wantErr        error
	}{
		{"country default", "US", "", 3, "0.0079", "0.0237", nil},
		{"route", "us", "premium", 2, "0.011", "0.022", nil},
		{"unknown route falls back to country", "US", "cheap", 1, "0.0079", "0.0079", nil},
		{"other country uses star", "FR", "", 2, "0.05", "0.10", nil},
		{"zero segments", "GB", "", 0, "0.035", "0.00", nil},
		{"negative segments", "GB", "", -1, "", "", ErrAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := tab.Estimate(tt.country, tt.route, tt.segments)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Estimate error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if e.Currency != "USD" || e.PerSegment.String() != tt.per || e.Total.String() != tt.total || e.Segments != tt.segments {
				t.Fatalf("Estimate = %+v (%s, %s), want %s × %d = %s", e, e.PerSegment, e.Total, tt.per, tt.segments, tt.total)
			}
		})
	}
}

func TestNoStar(t *testing.T) {
	t.Parallel()
	tab, err := Load(strings.NewReader("price,currency,country\n0.01,EUR,DE\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tab.PerSegment("FR", ""); !errors.Is(err, ErrNoPrice) {
		t.Fatalf("PerSegment(FR) error %v, want ErrNoPrice", err)
	}
	if a, err := tab.PerSegment("de", ""); err != nil || a != 10000 || tab.Currency != "EUR" {
		t.Fatalf("PerSegment(de) = %v, %v", a, err)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrFormat},
		{"no price column", "country,currency\nUS,USD\n", ErrFormat},
		{"header only", "country,route,price,currency\n", ErrFormat},
		{"bad country", "country,price,currency\nUSA,0.01,USD\n", ErrFormat},
		{"bad price", "country,price,currency\nUS,abc,USD\n", ErrAmount},
		{"negative price", "country,price,currency\nUS,-0.01,USD\n", ErrAmount},
		{"seven places", "country,price,currency\nUS,0.0000001,USD\n", ErrAmount},
		{"mixed currency", "country,price,currency\nUS,0.01,USD\nGB,0.01,GBP\n", ErrCurrency},
		{"bad currency", "country,price,currency\nUS,0.01,dollars\n", ErrCurrency},
		{"duplicate", "country,price,currency\nUS,0.01,USD\nus,0.02,USD\n", ErrFormat},
		{"bad quoting", "country,price,currency\n\"US,0.01,USD\n", ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Load(strings.NewReader(tt.in)); !errors.Is(err, tt.want) {
				t.Fatalf("Load error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
	}{
		{"0.0079", "0.0079"},
		{"12", "12.00"},
		{"1.5", "1.50"},
		{".25", "0.25"},
		{"0.123456", "0.123456"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			a, err := ParseAmount(tt.in)
			if err != nil || a.String() != tt.want {
				t.Fatalf("ParseAmount(%q) = %v, %v; want %s", tt.in, a, err, tt.want)
			}
		})
	}
}

// FuzzLoad checks that any file loads or fails with a package error.
func FuzzLoad(f *testing.F) {
	f.Add(sample)
	f.Add("country,price,currency\nUS,0.01,USD\n")
	f.Add("price,currency,country\n\"0.01\",EUR,*\n")
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := Load(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrAmount) && !errors.Is(err, ErrCurrency) {
				t.Fatalf("error %v is not a package error", err)
			}
			return
		}
		for d, a := range tab.prices {
			if a < 0 || !validCountry(d.country) {
				t.Fatalf("loaded %v = %v", d, a)
			}
			back, err := ParseAmount(a.String())
			if err != nil || back != a {
				t.Fatalf("amount %v prints as %q, reads back %v, %v", a, a.String(), back, err)
			}
		}
	})
}
