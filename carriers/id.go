package carriers

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeID returns the canonical form of a carrier message id so that
// the id in a submit_sm_resp and the one in a later receipt compare equal
// even when the carrier writes one in hex and the other in decimal.
//
// Ids made only of decimal digits are kept as decimal without leading
// zeros. Ids made of hex digits that contain at least one letter a-f are
// converted to decimal when they fit in 64 bits. Anything else (alphanumeric
// ids, longer ids) is kept as is, lower-cased and made printable
// (PrintableID).
func NormalizeID(id string) string {
	id = strings.TrimSpace(id)
	if id == "" {
		return id
	}
	if isDigits(id) {
		t := strings.TrimLeft(id, "0")
		if t == "" {
			return "0"
		}
		return t
	}
	if isHex(id) && len(id) <= 16 {
		if v, err := strconv.ParseUint(id, 16, 64); err == nil {
			return strconv.FormatUint(v, 10)
		}
	}
	return PrintableID(strings.ToLower(id))
}

// PrintableID returns id with each control character, and each byte that
// is not part of valid UTF-8, written as \xNN, so that an id a carrier
// sent can be stored and logged as text and joined on: the id in a
// submit_sm_resp and the one in its receipt give the same key. An id
// without such bytes, as carriers write them, is returned as it is.
func PrintableID(id string) string {
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x20 || c >= 0x7f {
			return escapeID(id)
		}
	}
	return id
}

func escapeID(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); {
		r, n := utf8.DecodeRuneInString(id[i:])
		if (r == utf8.RuneError && n == 1) || unicode.IsControl(r) {
			for _, c := range []byte(id[i : i+n]) {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		} else {
			b.WriteString(id[i : i+n])
		}
		i += n
	}
	return b.String()
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
