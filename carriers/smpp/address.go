package smpp

import "strings"

// Type of number (TON) values used by tern (section 5.2.5).
const (
	TONUnknown       uint8 = 0x00
	TONInternational uint8 = 0x01
	TONNational      uint8 = 0x02
	TONNetwork       uint8 = 0x03
	TONSubscriber    uint8 = 0x04
	TONAlphanumeric  uint8 = 0x05
	TONAbbreviated   uint8 = 0x06
)

// Numbering plan indicator (NPI) values used by tern (section 5.2.6).
const (
	NPIUnknown uint8 = 0x00
	NPIISDN    uint8 = 0x01 // E.163/E.164
)

// Address is an SME address with its type of number and numbering plan.
type Address struct {
	TON, NPI uint8
	Addr     string
}

// AddressOf chooses TON and NPI for a tern address: "+E.164" becomes
// international ISDN without the '+', an id holding a letter becomes
// alphanumeric, other digit strings (short codes, national numbers) stay
// unknown TON with ISDN plan, and "" stays unknown/unknown.
func AddressOf(s string) Address {
	switch {
	case s == "":
		return Address{}
	case s[0] == '+' && isDigits(s[1:]):
		return Address{TON: TONInternational, NPI: NPIISDN, Addr: s[1:]}
	case isDigits(s):
		return Address{TON: TONUnknown, NPI: NPIISDN, Addr: s}
	}
	return Address{TON: TONAlphanumeric, NPI: NPIUnknown, Addr: s}
}

// String returns the address as tern writes it: international numbers
// get their '+' back.
func (a Address) String() string {
	if a.TON == TONInternational && a.Addr != "" && !strings.HasPrefix(a.Addr, "+") {
		return "+" + a.Addr
	}
	return a.Addr
}

func isDigits(s string) bool {
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
