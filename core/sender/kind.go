package sender

import (
	"strconv"
	"strings"

	"github.com/ternsms/tern/core/phone"
)

// Kind is what sort of sender id a string is.
type Kind uint8

const (
	KindUnknown Kind = iota
	// KindAlphanumeric is a name such as "ACME": up to 11 characters,
	// at least one a letter. Handsets cannot reply to it.
	KindAlphanumeric
	// KindShortCode is a 3 to 8 digit code without a country code.
	KindShortCode
	// KindLongCode is an ordinary phone number (E.164).
	KindLongCode
	// KindTollFree is a toll-free number, where the number plan says so
	// (e.g. +1 800, 833, 844, 855, 866, 877, 888).
	KindTollFree
)

var kindNames = [...]string{
	KindUnknown: "unknown", KindAlphanumeric: "alphanumeric", KindShortCode: "short_code",
	KindLongCode: "long_code", KindTollFree: "toll_free",
}

// String returns "alphanumeric", "short_code", "long_code", "toll_free" or
// "unknown".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText writes the String form.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// ParseKind reads a String form.
func ParseKind(s string) (Kind, bool) {
	for k, n := range kindNames {
		if k > 0 && n == s {
			return Kind(k), true
		}
	}
	return KindUnknown, false
}

// Limits of sender ids, as SMPP and carriers take them.
const (
	MaxAlphanumeric = 11
	maxShortCode    = 8
	minShortCode    = 3
	maxNumber       = 15
)

// Classify tells what kind of sender id from is: alphanumeric when it has
// a letter, a short code for 3 to 8 digits, a long code or toll-free
// number for an international number (with '+' or without), or unknown.
func Classify(from string) Kind {
	from = strings.TrimSpace(from)
	if from == "" {
		return KindUnknown
	}
	digits, letters, other := 0, 0, 0
	for i, r := range from {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			letters++
		case r == '+' && i == 0:
		case r == ' ', r == '-', r == '.', r == '&', r == '_':
			other++
		default:
			return KindUnknown
		}
	}
	if letters > 0 {
		if len(from) > MaxAlphanumeric || from[0] == '+' {
			return KindUnknown
		}
		return KindAlphanumeric
	}
	if other > 0 {
		return KindUnknown
	}
	if from[0] != '+' && digits >= minShortCode && digits <= maxShortCode {
		return KindShortCode
	}
	if digits > maxNumber || digits <= maxShortCode {
		return KindUnknown
	}
	n, err := phone.Inspect("+"+strings.TrimPrefix(from, "+"), "")
	if err == nil && n.Type == phone.TypeTollFree {
		return KindTollFree
	}
	return KindLongCode
}

// Normalize returns the form sender ids are stored and compared in:
// numbers as digits only (no '+'), alphanumeric ids trimmed and
// upper-cased (handsets show the case given, but two ids differing only in
// case are one sender to a registry).
func Normalize(from string) string {
	from = strings.TrimSpace(from)
	switch Classify(from) {
	case KindAlphanumeric:
		return strings.ToUpper(from)
	case KindShortCode, KindLongCode, KindTollFree:
		return strings.TrimPrefix(from, "+")
	}
	return from
}
