package hygiene

import (
	"fmt"
	"strconv"
	"strings"
)

// AnyCarrier in a Rule's Carrier applies the rule to every carrier that
// has no rule of its own for the code.
const AnyCarrier = "*"

// Rule says what one carrier error code proves about the number it came
// back for.
type Rule struct {
	// Carrier is the carrier's name as tern's carrier configuration names
	// it, or AnyCarrier.
	Carrier string
	// Code is the error code as events record it: a receipt's err: value
	// ("001"), a network error code ("1"), or an SMPP command_status
	// ("0x0000000B"). Decimal codes match without their leading zeros and
	// hexadecimal ones in any case.
	Code string
	// Class is a permanent class.
	Class Class
	// Meaning is the code's meaning in the carrier's words, for the docs
	// and the report.
	Meaning string
}

// DefaultRules are the codes whose meaning does not depend on the carrier:
// GSM MAP error codes (3GPP TS 29.002, section 17.6.6), which SMSCs put in
// a receipt's err: field or its network_error_code, and the SMPP 3.4
// command_status a carrier answers a submit with. Codes that mean a
// temporary failure (absent subscriber 27, memory full 32, system failure
// 34) are deliberately absent: they prove nothing about the number.
func DefaultRules() []Rule {
	return []Rule{
		{AnyCarrier, "1", ClassUnknownSubscriber, "MAP unknownSubscriber: no such subscriber in the HLR"},
		{AnyCarrier, "5", ClassUnknownSubscriber, "MAP unidentifiedSubscriber"},
		{AnyCarrier, "9", ClassBarred, "MAP illegalSubscriber: the subscriber failed authentication"},
		{AnyCarrier, "11", ClassLandline, "MAP teleserviceNotProvisioned: the subscription has no SMS"},
		{AnyCarrier, "12", ClassBarred, "MAP illegalEquipment: the handset is blacklisted"},
		{AnyCarrier, "13", ClassBarred, "MAP callBarred: the subscriber is barred from receiving SMS"},
		{AnyCarrier, "0x0000000B", ClassInvalid, "SMPP ESME_RINVDSTADR: invalid destination address"},
	}
}

// Codes looks error codes up per carrier. The zero value knows no codes.
// Safe for concurrent use once built.
type Codes struct {
	m map[codeKey]Rule
}

type codeKey struct{ carrier, code string }

// NewCodes builds a table from rule sets; a later rule for the same
// carrier and code replaces an earlier one, so NewCodes(DefaultRules(),
// mine) overrides the defaults.
func NewCodes(sets ...[]Rule) (*Codes, error) {
	c := &Codes{m: map[codeKey]Rule{}}
	for _, set := range sets {
		for i, r := range set {
			switch {
			case strings.TrimSpace(r.Carrier) == "":
				return nil, fmt.Errorf("%w %d: carrier: required (a name, or %q for all)", ErrInvalidRule, i, AnyCarrier)
			case normalizeCode(r.Code) == "":
				return nil, fmt.Errorf("%w %d: code: required", ErrInvalidRule, i)
			case !r.Class.Permanent():
				return nil, fmt.Errorf("%w %d: class %s: want invalid, landline, unknown subscriber, not allocated or barred", ErrInvalidRule, i, r.Class)
			}
			r.Carrier, r.Code = strings.TrimSpace(r.Carrier), normalizeCode(r.Code)
			c.m[codeKey{r.Carrier, r.Code}] = r
		}
	}
	return c, nil
}

// MustCodes is NewCodes for tables known to be valid.
func MustCodes(sets ...[]Rule) *Codes {
	c, err := NewCodes(sets...)
	if err != nil {
		panic(err)
	}
	return c
}

// Lookup returns the rule for code from carrier: the carrier's own, else
// AnyCarrier's.
func (c *Codes) Lookup(carrier, code string) (Rule, bool) {
	if c == nil || c.m == nil {
		return Rule{}, false
	}
	code = normalizeCode(code)
	if code == "" {
		return Rule{}, false
	}
	if r, ok := c.m[codeKey{carrier, code}]; ok {
		return r, true
	}
	r, ok := c.m[codeKey{AnyCarrier, code}]
	return r, ok
}

// Rules returns the table's rules, for documentation and reports.
func (c *Codes) Rules() []Rule {
	if c == nil {
		return nil
	}
	out := make([]Rule, 0, len(c.m))
	for _, r := range c.m {
		out = append(out, r)
	}
	return out
}

// normalizeCode writes decimal codes without leading zeros ("001" → "1")
// and hexadecimal ones as 0x and eight upper-case digits; anything else
// is kept as it is, trimmed.
func normalizeCode(code string) string {
	code = strings.TrimSpace(code)
	if h, ok := strings.CutPrefix(strings.ToLower(code), "0x"); ok {
		if v, err := strconv.ParseUint(h, 16, 32); err == nil {
			return fmt.Sprintf("0x%08X", v)
		}
		return code
	}
	if v, err := strconv.ParseUint(code, 10, 64); err == nil {
		return strconv.FormatUint(v, 10)
	}
	return code
}
