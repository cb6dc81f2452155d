package gsm

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func TestAnalyzeBoundaries(t *testing.T) {
	t.Parallel()
	type want struct {
		enc      Encoding
		units    int
		segments int
	}
	tests := []struct {
		name string
		in   string
		opt  Options
		want want
	}{
		{"empty", "", Options{}, want{GSM7, 0, 1}},
		{"160 gsm", strings.Repeat("a", 160), Options{}, want{GSM7, 160, 1}},
		{"161 gsm", strings.Repeat("a", 161), Options{}, want{GSM7, 161, 2}},
		{"306 gsm", strings.Repeat("a", 306), Options{}, want{GSM7, 306, 2}},
		{"307 gsm", strings.Repeat("a", 307), Options{}, want{GSM7, 307, 3}},
		{"304 gsm ref16", strings.Repeat("a", 304), Options{Ref16: true}, want{GSM7, 304, 2}},
		{"305 gsm ref16", strings.Repeat("a", 305), Options{Ref16: true}, want{GSM7, 305, 3}},
		{"80 euro", strings.Repeat("€", 80), Options{}, want{GSM7, 160, 1}},
		{"81 euro", strings.Repeat("€", 81), Options{}, want{GSM7, 162, 2}},
		{"every escape", "\f^{}\\[~]|€", Options{}, want{GSM7, 20, 1}},
		{"euro straddles 153", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), Options{}, want{GSM7, 164, 2}},
		{"euro straddles 153 twice", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 151) + "€" + "a", Options{}, want{GSM7, 308, 3}},
		{"70 ucs2", strings.Repeat("ж", 70), Options{}, want{UCS2, 70, 1}},
		{"71 ucs2", strings.Repeat("ж", 71), Options{}, want{UCS2, 71, 2}},
		{"134 ucs2", strings.Repeat("ж", 134), Options{}, want{UCS2, 134, 2}},
		{"135 ucs2", strings.Repeat("ж", 135), Options{}, want{UCS2, 135, 3}},
		{"132 ucs2 ref16", strings.Repeat("ж", 132), Options{Ref16: true}, want{UCS2, 132, 2}},
		{"133 ucs2 ref16", strings.Repeat("ж", 133), Options{Ref16: true}, want{UCS2, 133, 3}},
		{"35 emoji", strings.Repeat("😀", 35), Options{}, want{UCS2, 70, 1}},
		{"36 emoji", strings.Repeat("😀", 36), Options{}, want{UCS2, 72, 2}},
		{"surrogate straddles 67", strings.Repeat("ж", 66) + "😀" + "жжжж", Options{}, want{UCS2, 72, 2}},
		{"greek capitals of the gsm table", "ΔΦΓΛΩΠΨΣΘΞ", Options{}, want{GSM7, 10, 1}},
		{"greek capital alpha is not gsm", "Α", Options{}, want{UCS2, 1, 1}},
		{"greek capital beta is not gsm", "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", Options{}, want{UCS2, 14, 1}},
		{"greek small delta is not gsm", "δ", Options{}, want{UCS2, 1, 1}},
		{"c cedilla small is not gsm", "ç", Options{}, want{UCS2, 1, 1}},
		{"backtick is not gsm", "`", Options{}, want{UCS2, 1, 1}},
		{"tab is not gsm", "a\tb", Options{}, want{UCS2, 3, 1}},
		{"crlf", "a\r\nb", Options{}, want{GSM7, 4, 1}},
		{"flags are two units each side", strings.Repeat("🇺🇸", 18), Options{}, want{UCS2, 72, 2}},
		{"zwj family", "👨\u200d👩\u200d👧\u200d👦", Options{}, want{UCS2, 11, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Analyze(tt.in, tt.opt)
			if got.Encoding != tt.want.enc || got.Units != tt.want.units || got.Segments != tt.want.segments {
				t.Fatalf("Analyze = %+v, want %+v", got, tt.want)
			}
			checkRoundTrip(t, tt.in, tt.opt)
		})
	}
}

// checkRoundTrip splits in, checks every part against its limit and the
// counts of Analyze, reads the parts back and compares with in.
func checkRoundTrip(t *testing.T, in string, opt Options) {
	t.Helper()
	info := Analyze(in, opt)
	m := Split(in, 0xBEEF, opt)
	if m.Info != info {
		t.Fatalf("Split info %+v, Analyze %+v", m.Info, info)
	}
	if info.Segments > maxParts {
		if m.Len() != 0 {
			t.Fatalf("%d parts over the UDH's limit", m.Len())
		}
		return
	}
	if m.Len() != info.Segments {
		t.Fatalf("Split gave %d parts, Analyze %d", m.Len(), info.Segments)
	}
	parts := make([]Part, 0, m.Len())
	units := 0
	for i, sm := range m.Parts() {
		if len(sm) > 140 && (m.Packed || m.DataCoding == DataCodingUCS2) || len(sm) > 160 {
			t.Fatalf("part %d has %d octets", i+1, len(sm))
		}
		p, err := DecodePart(m.DataCoding, m.UDHI, m.Packed, sm)
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		body := len(sm) - p.UDH.Len()
		if m.DataCoding == DataCodingGSM7 && !m.Packed {
			if bits := 8*p.UDH.Len() + fillBits(p.UDH.Len()) + 7*body; bits > 1120 {
				t.Fatalf("part %d needs %d bits", i+1, bits)
			}
			units += body
		} else if m.DataCoding == DataCodingUCS2 {
			units += body / 2
		}
		if (m.Len() > 1) != (p.UDH.Total > 0) || p.UDH.Total > 0 && (p.UDH.Seq != i+1 || p.UDH.Ref != 0xBEEF&refMask(opt)) {
			t.Fatalf("part %d header %+v", i+1, p.UDH)
		}
		if p.UDH.Locking != info.Locking || p.UDH.Single != info.Single {
			t.Fatalf("part %d tables %v/%v, want %v/%v", i+1, p.UDH.Locking, p.UDH.Single, info.Locking, info.Single)
		}
		parts = append(parts, p)
	}
	if !m.Packed && units != info.Units {
		t.Fatalf("parts carry %d units, Analyze %d", units, info.Units)
	}
	back, err := Reassemble(parts)
	if err != nil {
		t.Fatal(err)
	}
	want := string([]rune(in))
	if opt.Smart {
		want = Transliterate(want, opt)
	}
	if back != want {
		t.Fatalf("round trip = %q, want %q", back, want)
	}
}

func refMask(opt Options) uint16 {
	if opt.Ref16 {
		return 0xFFFF
	}
	return 0xFF
}

// TestSplitGolden checks whole short_message values, UDH included.
func TestSplitGolden(t *testing.T) {
	t.Parallel()
	a152 := strings.Repeat("61", 152)
	a153 := strings.Repeat("61", 153)
	tests := []struct {
		name  string
		in    string
		opt   Options
		ref   uint16
		parts []string // hex
	}{
		{"plain", "Hi @£$", Options{}, 0, []string{"4869200001" + "02"}},
		{"escapes", "€[]{}~^|\\", Options{}, 0, []string{"1b651b3c1b3e1b281b291b3d1b141b401b2f"}},
		{"greek", "ΔΦΓΛΩΠΨΣΘΞ", Options{}, 0, []string{"10121314151617181 91a"}},
		{"ucs2 surrogate", "é😀", Options{Languages: 0}, 0, []string{"0000" + "00e9d83dde00"}},
		{"euro moves whole to part 2", strings.Repeat("a", 152) + "€aaaaaaa", Options{}, 7,
			[]string{"050003070201" + a152, "050003070202" + "1b65" + "61616161616161"}},
		{"ref16", strings.Repeat("a", 161), Options{Ref16: true}, 0x1234,
			[]string{"060804123402" + "01" + a152, "06080412340202" + "616161616161616161"}},
		{"8-bit ref keeps low octet", strings.Repeat("a", 161), Options{}, 0x1234,
			[]string{"050003340201" + a153, "050003340202" + "6161616161616161"}},
		{"turkish short stays ucs2", "ığş ĞİŞ ç€", Options{Languages: LanguagesOf(Turkish)}, 0,
			[]string{"0131011f015f0020011e0130015e002000e720ac"}},
		{"turkish locking shift", "ığş ĞİŞ ç€" + strings.Repeat("a", 61), Options{Languages: AllLanguages}, 0,
			[]string{"03250101" + "070c1d20" + "0b401c20" + "6004" + strings.Repeat("61", 61)}},
		{"spanish single shift", "¿Cuándo llegará mi pedido?" + strings.Repeat("a", 45), Options{Languages: LanguagesOf(Spanish)}, 0,
			[]string{"03240102" + "60" + "4375" + "1b61" + "6e646f206c6c65676172" + "1b61" + "206d69207065646964 6f3f" + strings.Repeat("61", 45)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Split(tt.in, tt.ref, tt.opt)
			if m.Len() != len(tt.parts) {
				t.Fatalf("%d parts, want %d", m.Len(), len(tt.parts))
			}
			for i, sm := range m.Parts() {
				want, err := hex.DecodeString(strings.ReplaceAll(tt.parts[i], " ", ""))
				if err != nil {
					t.Fatal(err)
				}
				if tt.name == "ucs2 surrogate" {
					want = want[2:]
				}
				if !bytes.Equal(sm, want) {
					t.Errorf("part %d = %x, want %x", i+1, sm, want)
				}
			}
		})
	}
}
