// Package phone parses and checks phone numbers (on
// github.com/nyaruka/phonenumbers): E.164 form, validity, region. It is
// pure and safe for concurrent use.
package phone

import (
	"errors"
	"fmt"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is returned for a number that does not parse or is not a
// valid number for its region.
var ErrInvalid = errors.New("invalid phone number")

// Number is a parsed, valid phone number.
type Number struct {
	// E164 is the number in E.164 form, e.g. +14155552671.
	E164 string
	// Region is the ISO 3166-1 alpha-2 region, e.g. "US".
	Region string
}

// Parse parses raw, which is in E.164 or international form, or national
// form when defaultRegion (ISO 3166-1 alpha-2) is given.
func Parse(raw, defaultRegion string) (Number, error) {
	if raw == "" {
		return Number{}, fmt.Errorf("empty: %w", ErrInvalid)
	}
	pn, err := phonenumbers.Parse(raw, defaultRegion)
	if err != nil {
		return Number{}, fmt.Errorf("%v: %w", err, ErrInvalid)
	}
	if !phonenumbers.IsValidNumber(pn) {
		return Number{}, fmt.Errorf("not a valid number for its region: %w", ErrInvalid)
	}
	return Number{
		E164:   phonenumbers.Format(pn, phonenumbers.E164),
		Region: phonenumbers.GetRegionCodeForNumber(pn),
	}, nil
}
