package sender

import (
	"fmt"
	"maps"
	"strings"
)

// Alpha is a country's stance on alphanumeric sender ids.
type Alpha uint8

const (
	// AlphaAllowed: any alphanumeric id goes.
	AlphaAllowed Alpha = iota
	// AlphaRegistered: only ids registered for the country go.
	AlphaRegistered
	// AlphaForbidden: numbers only.
	AlphaForbidden
)

var alphaNames = [...]string{AlphaAllowed: "allowed", AlphaRegistered: "registration_required", AlphaForbidden: "not_allowed"}

// String returns "allowed", "registration_required" or "not_allowed".
func (a Alpha) String() string {
	if int(a) < len(alphaNames) {
		return alphaNames[a]
	}
	return fmt.Sprintf("alpha(%d)", a)
}

// MarshalText writes the String form.
func (a Alpha) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads the String form.
func (a *Alpha) UnmarshalText(b []byte) error {
	for i, n := range alphaNames {
		if n == string(b) {
			*a = Alpha(i)
			return nil
		}
	}
	return fmt.Errorf("alphanumeric %q: want allowed, registration_required or not_allowed", b)
}

// Kinds is a set of numeric sender kinds.
type Kinds uint8

// Of returns the set of ks.
func Of(ks ...Kind) Kinds {
	var s Kinds
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

// AnyNumber is every numeric kind.
var AnyNumber = Of(KindShortCode, KindLongCode, KindTollFree)

// Has tells whether k is in s.
func (s Kinds) Has(k Kind) bool { return s&(1<<k) != 0 }

// String lists the kinds, e.g. "long code, toll-free, short code".
func (s Kinds) String() string {
	var names []string
	for _, k := range []Kind{KindLongCode, KindTollFree, KindShortCode} {
		if s.Has(k) {
			names = append(names, strings.ReplaceAll(strings.ReplaceAll(k.String(), "_", " "), "toll free", "toll-free"))
		}
	}
	return strings.Join(names, ", ")
}

// MarshalText writes the kinds' names, comma-separated:
// "long_code,toll_free,short_code".
func (s Kinds) MarshalText() ([]byte, error) {
	var names []string
	for _, k := range []Kind{KindLongCode, KindTollFree, KindShortCode} {
		if s.Has(k) {
			names = append(names, k.String())
		}
	}
	return []byte(strings.Join(names, ",")), nil
}

// UnmarshalText reads MarshalText's form.
func (s *Kinds) UnmarshalText(b []byte) error {
	*s = 0
	for _, n := range strings.Split(string(b), ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		k, ok := ParseKind(n)
		if !ok || k == KindAlphanumeric {
			return fmt.Errorf("number kind %q: want long_code, toll_free or short_code", n)
		}
		*s |= Of(k)
	}
	return nil
}

// Rule is what one country's carriers accept.
type Rule struct {
	Alphanumeric Alpha `json:"alphanumeric"`
	// Numbers are the numeric kinds accepted; zero means every kind.
	Numbers Kinds `json:"numbers,omitempty"`
}

func (r Rule) numbers() Kinds {
	if r.Numbers == 0 {
		return AnyNumber
	}
	return r.Numbers
}

// Rules are the rules of every country, with a tenant's overrides and its
// registered alphanumeric ids. The zero value accepts everything; use
// DefaultRules. Rules are values: With and Register return copies.
type Rules struct {
	countries map[string]Rule
	// registered maps a normalized alphanumeric id to the countries it is
	// registered for; "*" is every country.
	registered map[string][]string
}

var builtin = func() map[string]Rule {
	m := map[string]Rule{}
	set := func(r Rule, countries ...string) {
		for _, c := range countries {
			m[c] = r
		}
	}
	set(Rule{Alphanumeric: AlphaForbidden, Numbers: AnyNumber}, "US", "CA", "PR")
	set(Rule{Alphanumeric: AlphaForbidden, Numbers: Of(KindLongCode, KindShortCode)}, "MX", "BR", "AR", "CL", "CN")
	set(Rule{Alphanumeric: AlphaRegistered, Numbers: Of(KindLongCode, KindShortCode)}, "IN")
	set(Rule{Alphanumeric: AlphaRegistered}, "AE", "SA", "QA", "KW", "OM", "BH", "TR", "VN", "ID", "PH", "TH",
		"EG", "JO", "NG", "KE", "LK", "BD", "PK")
	return m
}()

// DefaultRules returns the built-in table (see the package comment).
func DefaultRules() Rules { return Rules{countries: builtin} }

// Rule returns the rule for region (ISO 3166-1 alpha-2).
func (r Rules) Rule(region string) Rule { return r.countries[strings.ToUpper(region)] }

// Countries returns a copy of the table, by region.
func (r Rules) Countries() map[string]Rule { return maps.Clone(r.countries) }

// With returns r with overrides replacing or adding countries' rules.
func (r Rules) With(overrides map[string]Rule) Rules {
	if len(overrides) == 0 {
		return r
	}
	c := maps.Clone(r.countries)
	if c == nil {
		c = map[string]Rule{}
	}
	for k, v := range overrides {
		c[strings.ToUpper(k)] = v
	}
	r.countries = c
	return r
}

// Register returns r with the alphanumeric id registered for countries
// (all of them when none is given).
func (r Rules) Register(id string, countries ...string) Rules {
	reg := maps.Clone(r.registered)
	if reg == nil {
		reg = map[string][]string{}
	}
	key := Normalize(id)
	if len(countries) == 0 {
		countries = []string{"*"}
	}
	for _, c := range countries {
		reg[key] = append(reg[key], strings.ToUpper(c))
	}
	r.registered = reg
	return r
}

func (r Rules) isRegistered(id, region string) bool {
	for _, c := range r.registered[Normalize(id)] {
		if c == "*" || c == region {
			return true
		}
	}
	return false
}

// Check tells whether from may send to a number in region under r. An
// empty from (the carrier's or tenant's default applies) and an unknown
// region pass. The error is an *Error naming the rule.
func Check(from, region string, r Rules) error {
	if strings.TrimSpace(from) == "" {
		return nil
	}
	region = strings.ToUpper(region)
	k := Classify(from)
	rule := r.Rule(region)
	switch k {
	case KindUnknown:
		return &Error{Reason: "not a sender id: up to 11 letters, digits and - . & _ (at least one letter), a 3 to 8 digit short code, or a number", Kind: ErrMalformed}
	case KindAlphanumeric:
		switch rule.Alphanumeric {
		case AlphaForbidden:
			only := "numbers only"
			if rule.numbers() != AnyNumber {
				only += ": " + rule.numbers().String()
			}
			return &Error{Reason: fmt.Sprintf("alphanumeric sender ids are not allowed for %s (%s)", region, only), Kind: ErrNotAllowed}
		case AlphaRegistered:
			if !r.isRegistered(from, region) {
				return &Error{Reason: fmt.Sprintf("alphanumeric sender ids must be registered for %s (registration required); this one is not", region), Kind: ErrNotRegistered}
			}
		}
		return nil
	}
	if !rule.numbers().Has(k) {
		return &Error{Reason: fmt.Sprintf("%s sender ids are not allowed for %s (%s only)", Of(k).String(), region, rule.numbers()), Kind: ErrNotAllowed}
	}
	return nil
}
