package phone

import (
	"strconv"

	"github.com/nyaruka/phonenumbers"
)

// Type is the kind of line a number is, per libphonenumber's number plan
// data.
type Type uint8

const (
	TypeUnknown Type = iota
	TypeFixedLine
	TypeMobile
	// TypeFixedLineOrMobile is used where the plan cannot tell the two
	// apart (the United States and Canada, among others).
	TypeFixedLineOrMobile
	TypeTollFree
	TypePremiumRate
	TypeSharedCost
	TypeVoIP
	TypePersonalNumber
	TypePager
	TypeUAN
	TypeVoicemail
)

var typeNames = [...]string{
	TypeUnknown:           "unknown",
	TypeFixedLine:         "fixed_line",
	TypeMobile:            "mobile",
	TypeFixedLineOrMobile: "fixed_line_or_mobile",
	TypeTollFree:          "toll_free",
	TypePremiumRate:       "premium_rate",
	TypeSharedCost:        "shared_cost",
	TypeVoIP:              "voip",
	TypePersonalNumber:    "personal_number",
	TypePager:             "pager",
	TypeUAN:               "uan",
	TypeVoicemail:         "voicemail",
}

// String returns the snake_case name, e.g. "fixed_line_or_mobile".
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText writes the String form, for JSON.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// CanReceiveSMS reports whether SMS to a number of this type can be
// expected to arrive: mobile numbers and the lines that may be mobile.
func (t Type) CanReceiveSMS() bool {
	switch t {
	case TypeMobile, TypeFixedLineOrMobile, TypeVoIP, TypePersonalNumber, TypeUnknown:
		return true
	}
	return false
}

func typeOf(t phonenumbers.PhoneNumberType) Type {
	switch t {
	case phonenumbers.FIXED_LINE:
		return TypeFixedLine
	case phonenumbers.MOBILE:
		return TypeMobile
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return TypeFixedLineOrMobile
	case phonenumbers.TOLL_FREE:
		return TypeTollFree
	case phonenumbers.PREMIUM_RATE:
		return TypePremiumRate
	case phonenumbers.SHARED_COST:
		return TypeSharedCost
	case phonenumbers.VOIP:
		return TypeVoIP
	case phonenumbers.PERSONAL_NUMBER:
		return TypePersonalNumber
	case phonenumbers.PAGER:
		return TypePager
	case phonenumbers.UAN:
		return TypeUAN
	case phonenumbers.VOICEMAIL:
		return TypeVoicemail
	}
	return TypeUnknown
}
