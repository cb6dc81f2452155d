package carriers

import "testing"

func TestNormalizeID(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"12345", "12345"},
		{"0012345", "12345"},
		{"000", "0"},
		{"3039", "3039"},         // all digits: read as decimal
		{"1a2b", "6699"},         // hex with a letter: converted
		{"00ABCDEF", "11259375"}, // upper-case hex
		{" 42 ", "42"},           // surrounding space
		{"msg-77X", "msg-77x"},   // alphanumeric: kept, lower-cased
		{"ffffffffffffffffff", "ffffffffffffffffff"}, // over 64 bits: kept
		{"", ""},
		{"id\x01X", `id\x01x`},       // a control character: escaped
		{"a\x1fb", `a\x1fb`},         // the ledger's id separator: escaped
		{"ÿé7", "ÿé7"},               // letters beyond ASCII: kept
		{"id\x7f", `id\x7f`},         // DEL
		{"a\xc2\x85z", `a\xc2\x85z`}, // a C1 control character, both its bytes
	}
	for _, tt := range tests {
		if got := NormalizeID(tt.in); got != tt.want {
			t.Errorf("NormalizeID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPrintableID(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Abc-123", "Abc-123"},
		{"", ""},
		{"a\x00b", `a\x00b`},
		{"\xff\xfe1", `\xff\xfe1`}, // not UTF-8
		{"über", "über"},
		{"tab\there", `tab\x09here`},
	}
	for _, tt := range tests {
		got := PrintableID(tt.in)
		if got != tt.want {
			t.Errorf("PrintableID(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := PrintableID(got); again != got {
			t.Errorf("PrintableID(%q) = %q, not stable", got, again)
		}
	}
}
