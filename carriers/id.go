package carriers

import (
	"strconv"
	"strings"
)

// NormalizeID returns the canonical form of a carrier message id so that
// the id in a submit_sm_resp and the one in a later receipt compare equal
// even when the carrier writes one in hex and the other in decimal.
//
// Ids made only of decimal digits are kept as decimal without leading
// zeros. Ids made of hex digits that contain at least one letter a-f are
// converted to decimal when they fit in 64 bits. Anything else (alphanumeric
// ids, longer ids) is kept as is, lower-cased.
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
	return strings.ToLower(id)
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
