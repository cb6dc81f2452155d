package smpp_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ternsms/tern/carriers/smpp"
)

// FuzzIDFormats checks that one message id written in hex and in
// decimal, padded and in either case, gives one key under the declared
// formats, and that Normalize never panics and is stable.
func FuzzIDFormats(f *testing.F) {
	f.Add(uint64(12345), uint8(3), true, "3039")
	f.Add(uint64(0), uint8(0), false, "")
	f.Add(uint64(1<<63), uint8(9), false, "ffffffffffffffffffff")
	f.Add(uint64(0xabcdef), uint8(1), true, " 00AbC ")
	f.Fuzz(func(t *testing.T, n uint64, pad uint8, upper bool, raw string) {
		zeros := strings.Repeat("0", int(pad%12))
		hex := zeros + strconv.FormatUint(n, 16)
		if upper {
			hex = strings.ToUpper(hex)
		}
		dec := zeros + strconv.FormatUint(n, 10)
		h, d := smpp.IDHex.Normalize(hex), smpp.IDDecimal.Normalize(dec)
		if h != d || h != strconv.FormatUint(n, 10) {
			t.Fatalf("id %d: hex %q gives %q, decimal %q gives %q", n, hex, h, dec, d)
		}
		for _, f := range []smpp.IDFormat{smpp.IDAuto, smpp.IDHex, smpp.IDDecimal, smpp.IDAsIs} {
			k := f.Normalize(raw)
			if again := f.Normalize(raw); again != k {
				t.Fatalf("%v: %q gave %q then %q", f, raw, k, again)
			}
		}
	})
}
