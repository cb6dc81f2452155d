package gsm

import (
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// plain reports whether r never joins a neighbour into one grapheme
// cluster (UAX #29) other than through CR LF: its Grapheme_Cluster_Break
// property is Other, CR, LF or Control, and it is not a regional
// indicator or Hangul jamo. Between two plain runes there is a cluster
// boundary unless they are CR LF, so the common texts (Latin, Greek,
// Cyrillic, CJK, most emoji) are split without running the full UAX #29
// machine. The set is checked against uniseg by the tests.
func plain(r rune) bool {
	switch {
	case r < 0x300:
		return true
	case r >= 0x370 && r <= 0x3FF: // Greek
		return true
	case r >= 0x400 && r <= 0x482, r >= 0x48A && r <= 0x52F: // Cyrillic without its combining marks
		return true
	case r >= 0x2010 && r <= 0x2027, r >= 0x2030 && r <= 0x205E: // general punctuation
		return true
	case r >= 0x20A0 && r <= 0x20C0: // currency symbols
		return true
	case r >= 0x2100 && r <= 0x23FF: // letterlike, number forms, arrows, math, technical
		return true
	case r >= 0x2500 && r <= 0x27BF: // box drawing … dingbats
		return true
	case r >= 0x3001 && r <= 0x3029, r >= 0x3041 && r <= 0x3096, r >= 0x30A1 && r <= 0x30FA:
		return true
	case r >= 0x3400 && r <= 0x4DBF, r >= 0x4E00 && r <= 0x9FFF: // CJK ideographs
		return true
	case r >= 0xAC00 && r <= 0xD7A3: // Hangul syllables
		return true
	case r >= 0xFF01 && r <= 0xFF9D: // fullwidth and halfwidth forms
		return true
	case r >= 0x1F300 && r <= 0x1F3FA, r >= 0x1F400 && r <= 0x1F64F, r >= 0x1F680 && r <= 0x1F6FF:
		return true
	case r >= 0x1F900 && r <= 0x1F9FF:
		return true
	}
	return false
}

// decodeRune decodes the rune at the start of s, ASCII without a call.
func decodeRune(s string) (rune, int) {
	if len(s) > 0 && s[0] < utf8.RuneSelf {
		return rune(s[0]), 1
	}
	return utf8.DecodeRuneInString(s)
}

// clusterLen returns the byte length of the grapheme cluster (UAX #29)
// at the start of s, given its first rune r of size n.
func clusterLen(s string, r rune, n int) int {
	if n == len(s) {
		return n
	}
	r2, n2 := decodeRune(s[n:])
	if plain(r) && plain(r2) {
		if r == '\r' && r2 == '\n' {
			return n + n2
		}
		return n
	}
	c, _, _, _ := uniseg.FirstGraphemeClusterInString(s, -1)
	return len(c)
}
