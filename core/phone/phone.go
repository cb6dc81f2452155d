package phone

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Number is a parsed phone number.
type Number struct {
	// E164 is the number in E.164 form, e.g. +14155552671.
	E164 string
	// Region is the ISO 3166-1 alpha-2 region, e.g. "US"; "001" for
	// non-geographic numbers, "" when unknown.
	Region string
	// CountryCode is the calling code, e.g. 1 or 44.
	CountryCode int
	// Valid tells whether the number is valid for its region (always
	// true for numbers Parse returns).
	Valid bool
	// Type is what kind of line the number plan says it is.
	Type Type
	// TimeZones are the IANA zones the number may be in, most specific
	// data libphonenumber has (one zone for most numbers, every zone of
	// the country for mobile and non-geographic ranges). Empty when
	// unknown. Shared: do not modify.
	TimeZones []string
}

// Parse parses raw, which is in E.164 or international form, or national
// form when defaultRegion (ISO 3166-1 alpha-2) is given, and returns it
// only if it is a valid number; anything else is ErrInvalid.
func Parse(raw, defaultRegion string) (Number, error) {
	n, err := Inspect(raw, defaultRegion)
	if err != nil {
		return Number{}, err
	}
	if !n.Valid {
		return Number{}, invalid(n)
	}
	return n, nil
}

func invalid(n Number) error {
	return fmt.Errorf("not a valid number for region %q: %w", n.Region, ErrInvalid)
}

// Inspect parses raw like Parse but also returns numbers that parse and
// are not valid, with Valid false, so a caller can say why. Only input
// that does not parse as a phone number is an error (ErrInvalid).
func Inspect(raw, defaultRegion string) (Number, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Number{}, fmt.Errorf("empty: %w", ErrInvalid)
	}
	if len(raw) > 64 {
		return Number{}, fmt.Errorf("%d characters: %w", len(raw), ErrInvalid)
	}
	var code int
	var nsn, e164 string
	// E.164, the usual form, is parsed here; the rest by the library.
	if c, n, ok := parseE164(raw); ok {
		code, nsn, e164 = c, n, raw
	} else {
		pn, err := phonenumbers.Parse(raw, strings.ToUpper(defaultRegion))
		if err != nil {
			return Number{}, fmt.Errorf("%v: %w", err, ErrInvalid)
		}
		code, nsn = int(pn.GetCountryCode()), phonenumbers.GetNationalSignificantNumber(pn)
		e164 = phonenumbers.Format(pn, phonenumbers.E164)
	}
	// A number is valid exactly when its type is known, which is how the
	// library decides it too.
	region, t := classify(code, nsn)
	n := Number{
		E164:        e164,
		Region:      region,
		CountryCode: code,
		Valid:       t != phonenumbers.UNKNOWN,
		Type:        typeOf(t),
	}
	if n.Region == "" {
		n.Region = phonenumbers.GetRegionCodeForCountryCode(n.CountryCode)
		if n.Region == "ZZ" {
			n.Region = ""
		}
	}
	if tz, err := phonenumbers.GetTimezonesForPrefix(e164); err == nil {
		for _, z := range tz {
			if z != phonenumbers.UNKNOWN_TIMEZONE {
				n.TimeZones = append(n.TimeZones, z)
			}
		}
	}
	return n, nil
}
