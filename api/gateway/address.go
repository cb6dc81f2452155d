package gateway

import (
	"strings"

	"github.com/ternsms/tern/carriers/smpp"
)

// recipient reads a destination address as E.164 with '+', or returns ""
// when it cannot be one: international numbers, and numbers of unknown
// type that the ESME wrote with their country code (with or without '+'
// or "00"). National, subscriber and alphanumeric addresses need a region
// the gateway does not know.
func recipient(a smpp.Address) string {
	if a.TON != smpp.TONInternational && a.TON != smpp.TONUnknown {
		return ""
	}
	d := strings.TrimPrefix(a.Addr, "+")
	if len(d) > 2 && strings.HasPrefix(d, "00") {
		d = d[2:]
	}
	if !digitsOnly(d) {
		return ""
	}
	return "+" + d
}

// sender reads source_addr as tern's sender id: international numbers
// get their '+', anything else (short codes, alphanumeric ids) stays as
// written; the intake decides whether it is usable.
func sender(a smpp.Address) string {
	if a.TON == smpp.TONInternational {
		if d := strings.TrimPrefix(a.Addr, "+"); digitsOnly(d) {
			return "+" + d
		}
	}
	return a.Addr
}

func digitsOnly(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
