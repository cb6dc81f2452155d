package gsm

import (
	"strings"
	"testing"
)

func TestAnalyzeBoundaries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		enc      Encoding
		units    int
		segments int
	}{
		{"160 gsm", strings.Repeat("a", 160), GSM7, 160, 1},
		{"161 gsm", strings.Repeat("a", 161), GSM7, 161, 2},
		{"306 gsm", strings.Repeat("a", 306), GSM7, 306, 2},
		{"307 gsm", strings.Repeat("a", 307), GSM7, 307, 3},
		{"80 euro", strings.Repeat("€", 80), GSM7, 160, 1},
		{"81 euro", strings.Repeat("€", 81), GSM7, 162, 2},
		{"euro straddles 153", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), GSM7, 164, 2},
		{"70 ucs2", strings.Repeat("ж", 70), UCS2, 70, 1},
		{"71 ucs2", strings.Repeat("ж", 71), UCS2, 71, 2},
		{"35 emoji", strings.Repeat("😀", 35), UCS2, 70, 1},
		{"36 emoji", strings.Repeat("😀", 36), UCS2, 72, 2},
		{"surrogate straddles 67", strings.Repeat("ж", 66) + "😀" + "жжжж", UCS2, 72, 2},
		{"greek capital delta is gsm", "ΔΦΓΛΩΠΨΣΘΞ", GSM7, 10, 1},
		{"greek capital alpha is not", "Α", UCS2, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Analyze(tt.in, Options{})
			if got.Encoding != tt.enc || got.Units != tt.units || got.Segments != tt.segments {
				t.Fatalf("Analyze = %+v, want enc %v units %d segments %d", got, tt.enc, tt.units, tt.segments)
			}
			enc := Encode(tt.in, Options{})
			if len(enc.Parts) != tt.segments {
				t.Fatalf("Encode gave %d parts, Analyze %d", len(enc.Parts), tt.segments)
			}
			var joined []byte
			for _, p := range enc.Parts {
				joined = append(joined, p...)
			}
			back, err := Decode(enc.DataCoding, joined)
			if err != nil || back != tt.in {
				t.Fatalf("round trip = %q, %v", back, err)
			}
		})
	}
}

func TestEscapeNotSplit(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10)
	enc := Encode(in, Options{})
	if got := len(enc.Parts[0]); got != 152 {
		t.Fatalf("first part has %d septets, want 152 (escape pair moved whole)", got)
	}
}
