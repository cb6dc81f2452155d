package gsm

import (
	"strings"
	"testing"

	"github.com/rivo/uniseg"
)

// TestPlainRunes checks every rune plain admits against uniseg: next to
// a plain rune of every class (Control, CR, LF, Other, Extended
// Pictographic, Hangul LV) there is a cluster boundary, CR LF aside.
func TestPlainRunes(t *testing.T) {
	t.Parallel()
	after := []string{"a", "ж", "\n", "\x01", "\U0001F600", "가", "각"}
	before := []string{"a", "ж", "\r", "\x01", "\U0001F600", "가", "각"}
	for r := rune(0); r <= 0x1FFFF; r++ {
		if !plain(r) || r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		for _, n := range after {
			if r == '\r' && n == "\n" {
				continue
			}
			if c, _, _, _ := uniseg.FirstGraphemeClusterInString(string(r)+n, -1); c != string(r) {
				t.Fatalf("%U joins a following %+q: %+q", r, n, c)
			}
		}
		for _, n := range before {
			if n == "\r" && r == '\n' {
				continue
			}
			if c, _, _, _ := uniseg.FirstGraphemeClusterInString(n+string(r), -1); c != n {
				t.Fatalf("%U joins a preceding %+q: %+q", r, n, c)
			}
		}
	}
}

func TestClusterLen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"ascii", "ab", "a"},
		{"crlf", "\r\nx", "\r\n"},
		{"combining acute", "e\u0301x", "e\u0301"},
		{"zwj family", "👨\u200d👩\u200d👧x", "👨\u200d👩\u200d👧"},
		{"flag pair", "🇺🇸🇫🇷", "🇺🇸"},
		{"skin tone", "👍🏽!", "👍🏽"},
		{"hangul jamo", "\u1100\u1161\u11a8x", "\u1100\u1161\u11a8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, n := decodeRune(tt.in)
			if got := tt.in[:clusterLen(tt.in, r, n)]; got != tt.want {
				t.Fatalf("cluster %+q, want %+q", got, tt.want)
			}
		})
	}
}

// TestClustersKeptWhole checks that a cluster that fits a part is never
// cut, and that one larger than a part is cut between runes.
func TestClustersKeptWhole(t *testing.T) {
	t.Parallel()
	family := "👨\u200d👩\u200d👧\u200d👦" // 11 units
	tests := []struct {
		name      string
		in        string
		firstPart string // text of part 1
		segments  int
	}{
		{"family moves to part 2", strings.Repeat("ж", 60) + family + "ж", strings.Repeat("ж", 60), 2},
		{"flag moves to part 2", strings.Repeat("ж", 64) + "🇺🇸" + "жжж", strings.Repeat("ж", 64), 2},
		{"combining mark stays with its letter", strings.Repeat("ж", 66) + "e\u0301" + "жжж", strings.Repeat("ж", 66), 2},
		{"crlf stays together", strings.Repeat("a", 152) + "\r\n" + strings.Repeat("a", 10), strings.Repeat("a", 152), 2},
		{"oversized cluster is cut between runes", "e" + strings.Repeat("\u0301", 80), "e" + strings.Repeat("\u0301", 66), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Split(tt.in, 1, Options{})
			if m.Len() != tt.segments {
				t.Fatalf("%d parts, want %d", m.Len(), tt.segments)
			}
			p, err := DecodePart(m.DataCoding, m.UDHI, false, m.Part(0))
			if err != nil {
				t.Fatal(err)
			}
			if p.Text != tt.firstPart {
				t.Fatalf("part 1 = %+q, want %+q", p.Text, tt.firstPart)
			}
			checkRoundTrip(t, tt.in, Options{})
		})
	}
}
