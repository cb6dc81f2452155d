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
	}
	for _, tt := range tests {
		if got := NormalizeID(tt.in); got != tt.want {
			t.Errorf("NormalizeID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
