package gsm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func TestUDHRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   UDH
		want string
	}{
		{"none", UDH{}, ""},
		{"concat 8-bit", UDH{Total: 3, Seq: 2, Ref: 0x42}, "050003420302"},
		{"concat 16-bit", UDH{Total: 3, Seq: 1, Ref: 0xBEEF, Ref16: true}, "060804beef0301"},
		{"locking shift", UDH{Locking: Turkish}, "03250101"},
		{"single shift", UDH{Single: Spanish}, "03240102"},
		{"both shifts", UDH{Locking: Portuguese, Single: Portuguese}, "06250103240103"},
		{"concat and shift", UDH{Total: 2, Seq: 2, Ref: 7, Locking: Turkish}, "0800030702022501 01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want, _ := hex.DecodeString(stripSpaces(tt.want))
			got := AppendUDH(nil, tt.in)
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendUDH = %x, want %x", got, want)
			}
			if tt.in.Len() != len(want) {
				t.Fatalf("Len = %d, want %d", tt.in.Len(), len(want))
			}
			if len(want) == 0 {
				return
			}
			back, n, err := ParseUDH(append(want, 0x61))
			if err != nil || n != len(want) || back != tt.in {
				t.Fatalf("ParseUDH = %+v, %d, %v", back, n, err)
			}
		})
	}
}

func stripSpaces(s string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil))
}

func TestParseUDHSkipsOtherElements(t *testing.T) {
	t.Parallel()
	// Application port addressing (0x05) then concatenation.
	sm, _ := hex.DecodeString("0b0504158200000003aa0201" + "61")
	h, n, err := ParseUDH(sm)
	if err != nil || n != 12 || h.Total != 2 || h.Seq != 1 || h.Ref != 0xAA {
		t.Fatalf("ParseUDH = %+v, %d, %v", h, n, err)
	}
}

func TestParseUDHErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrUDH},
		{"length past end", "05000342", ErrUDH},
		{"element past header", "03000342", ErrUDH},
		{"short concat", "0400024201", ErrUDH},
		{"part zero", "050003420300", ErrUDH},
		{"part above total", "050003420204", ErrUDH},
		{"total zero", "050003420000", ErrUDH},
		{"unknown language", "03250109", ErrLanguage},
		{"spanish has no locking table", "03250102", ErrLanguage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, _ := hex.DecodeString(tt.in)
			if _, _, err := ParseUDH(b); !errors.Is(err, tt.want) {
				t.Fatalf("ParseUDH(%s) error %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestPacking(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		septets string
		fill    int
		want    string
	}{
		// The TS 23.038 §6.1.2.1.1 layout: "hellohello", 10 septets in 9 octets.
		{"hellohello", "68656c6c6f68656c6c6f", 0, "e8329bfd4697d9ec37"},
		{"one septet", "41", 0, "41"},
		// 7 septets leave 7 spare bits: a CR fills them.
		{"seven septets get a cr", "61626364656667", 0, "61f1985c369f" + "1b"},
		// 8 septets fill 7 octets exactly.
		{"eight septets", "6161616161616161", 0, "e170381c0e87c3"},
		// After a 6-octet UDH one fill bit aligns the first septet.
		{"after a concat udh", "61", 1, "c2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, _ := hex.DecodeString(tt.septets)
			want, _ := hex.DecodeString(tt.want)
			got := appendPacked(nil, in, tt.fill, 140)
			if !bytes.Equal(got, want) {
				t.Fatalf("packed = %x, want %x", got, want)
			}
			if back := unpack(got, tt.fill); !bytes.Equal(back, in) {
				t.Fatalf("unpacked = %x, want %x", back, in)
			}
		})
	}
}

func TestPackedSplit(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"hellohello", "abcdefg", "€uro", "x" + string(make([]byte, 0)), "ığş ĞİŞ ç€ " + "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"} {
		for _, opt := range []Options{{Packed: true}, {Packed: true, Languages: AllLanguages}} {
			checkRoundTrip(t, in, opt)
			checkRoundTrip(t, in+string(make([]rune, 0))+repeat("a", 300), opt)
		}
	}
	m := Split("hellohello", 0, Options{Packed: true})
	if got := hex.EncodeToString(m.Part(0)); got != "e8329bfd4697d9ec37" {
		t.Fatalf("packed single part = %s", got)
	}
}

func repeat(s string, n int) string { return string(bytes.Repeat([]byte(s), n)) }

func TestDecodeSeptets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		lock    Language
		single  Language
		want    string
		wantErr error
	}{
		{"default", "48690021", Default, Default, "Hi@!", nil},
		{"escape", "1b65", Default, Default, "€", nil},
		{"undefined escape reads the main table", "1b41", Default, Default, "A", nil},
		{"escape escape is a space", "1b1b41", Default, Default, " A", nil},
		{"turkish tables", "071b47", Turkish, Turkish, "ıĞ", nil},
		{"escape at end", "411b", Default, Default, "", ErrNotSeptet},
		{"eighth bit", "80", Default, Default, "", ErrNotSeptet},
		{"no spanish locking table", "41", Spanish, Default, "", ErrLanguage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, _ := hex.DecodeString(tt.in)
			got, err := DecodeSeptets(b, tt.lock, tt.single)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("DecodeSeptets = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestReassembleErrors(t *testing.T) {
	t.Parallel()
	p := func(ref uint16, total, seq int, text string) Part {
		return Part{UDH: UDH{Ref: ref, Total: total, Seq: seq}, Text: text}
	}
	tests := []struct {
		name  string
		parts []Part
		want  string
		err   error
	}{
		{"out of order", []Part{p(1, 2, 2, "b"), p(1, 2, 1, "a")}, "ab", nil},
		{"missing", []Part{p(1, 3, 1, "a"), p(1, 3, 2, "b")}, "", ErrParts},
		{"repeated", []Part{p(1, 2, 1, "a"), p(1, 2, 1, "a")}, "", ErrParts},
		{"mixed references", []Part{p(1, 2, 1, "a"), p(2, 2, 2, "b")}, "", ErrParts},
		{"none", nil, "", ErrParts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Reassemble(tt.parts)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("Reassemble = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}
