package consent

import (
	"fmt"
	"strings"

	"github.com/ternsms/tern/core"
)

// Scope is what an opt-out or opt-in covers.
type Scope uint8

const (
	// ScopeAll covers every category: nothing goes to the number.
	ScopeAll Scope = iota + 1
	// ScopeMarketing covers marketing only.
	ScopeMarketing
)

// String returns "all" or "marketing".
func (s Scope) String() string {
	switch s {
	case ScopeAll:
		return "all"
	case ScopeMarketing:
		return "marketing"
	}
	return fmt.Sprintf("scope(%d)", uint8(s))
}

// MarshalText writes the String form.
func (s Scope) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "all" or "marketing".
func (s *Scope) UnmarshalText(b []byte) error {
	v, err := ParseScope(string(b))
	*s = v
	return err
}

// ParseScope reads "all" or "marketing".
func ParseScope(s string) (Scope, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "all":
		return ScopeAll, nil
	case "marketing":
		return ScopeMarketing, nil
	}
	return 0, fmt.Errorf("scope %q: want all or marketing", s)
}

// Hygiene is why list hygiene suppressed a number for marketing: a
// permanent core/hygiene.Class; 0 is not suppressed. Up to 15 fit.
type Hygiene uint8

// State is what tern knows about one number for one tenant. The zero
// value is a number tern has no record of: transactional and OTP messages
// go, marketing does not.
type State struct {
	// OptedOut: the number opted out of OptOutScope.
	OptedOut    bool
	OptOutScope Scope
	// Marketing: an opt-in to marketing is on record. An opt-out of any
	// scope suspends it while it lasts.
	Marketing bool
	// Erased: the number was erased (GDPR); only a hash of it is left and
	// it stays opted out of everything.
	Erased  bool
	Hygiene Hygiene
}

// Bit layout of Bits: the in-memory suppression set keeps one byte per
// number.
const (
	bitOptedOut      = 1 << 0
	bitScopeMarketng = 1 << 1
	bitMarketing     = 1 << 2
	bitErased        = 1 << 3
	hygieneShift     = 4
)

// Bits packs s into one byte.
func (s State) Bits() uint8 {
	var b uint8
	if s.OptedOut {
		b |= bitOptedOut
		if s.OptOutScope == ScopeMarketing {
			b |= bitScopeMarketng
		}
	}
	if s.Marketing {
		b |= bitMarketing
	}
	if s.Erased {
		b |= bitErased
	}
	return b | uint8(s.Hygiene&0x0f)<<hygieneShift
}

// FromBits unpacks Bits.
func FromBits(b uint8) State {
	s := State{
		OptedOut:  b&bitOptedOut != 0,
		Marketing: b&bitMarketing != 0,
		Erased:    b&bitErased != 0,
		Hygiene:   Hygiene(b >> hygieneShift),
	}
	if s.OptedOut {
		s.OptOutScope = ScopeAll
		if b&bitScopeMarketng != 0 {
			s.OptOutScope = ScopeMarketing
		}
	}
	return s
}

// Erasure is the state an erased number is kept in: opted out of
// everything.
func Erasure() State { return State{OptedOut: true, OptOutScope: ScopeAll, Erased: true} }

// Decide tells whether a message of category cat may go to a number in
// state s: nil, or a *Refusal wrapping ErrOptedOut, ErrNoMarketingConsent
// or ErrSuppressed. Opt-out is checked first, so an opted-out number is
// always refused as opted out. A hygiene suppression refuses marketing
// only: an order update or a login code to a number that failed still
// goes, and its delivery lifts the suppression.
func Decide(cat core.Category, s State) error {
	cat = cat.Normalize()
	if s.Erased || (s.OptedOut && (s.OptOutScope != ScopeMarketing || cat == core.CategoryMarketing)) {
		return &Refusal{Kind: ErrOptedOut}
	}
	if s.Hygiene != 0 && cat == core.CategoryMarketing {
		return &Refusal{Kind: ErrSuppressed, Detail: s.Hygiene.Reason()}
	}
	if cat == core.CategoryMarketing && !s.Marketing {
		return &Refusal{Kind: ErrNoMarketingConsent}
	}
	return nil
}

// Event is the kind of a consent record.
type Event uint8

const (
	OptIn Event = iota + 1
	OptOut
)

// String returns "opt_in" or "opt_out".
func (e Event) String() string {
	switch e {
	case OptIn:
		return "opt_in"
	case OptOut:
		return "opt_out"
	}
	return fmt.Sprintf("event(%d)", uint8(e))
}

// Apply returns s after an event of kind e and scope sc:
//
//   - opt-out of all: opted out of everything;
//   - opt-out of marketing: opted out of marketing, unless already opted
//     out of all;
//   - opt-in of all (START): the opt-out is lifted;
//   - opt-in of marketing: marketing consent on, and the opt-out lifted.
//
// An opt-out suspends marketing consent rather than dropping it, so that
// START restores what STOP stopped. An opt-in clears Erased: the person
// came back and agreed again.
func (s State) Apply(e Event, sc Scope) State {
	switch {
	case e == OptOut && sc == ScopeAll:
		s.OptedOut, s.OptOutScope = true, ScopeAll
	case e == OptOut && sc == ScopeMarketing:
		if !s.OptedOut {
			s.OptedOut, s.OptOutScope = true, ScopeMarketing
		}
	case e == OptIn:
		s.OptedOut, s.OptOutScope, s.Erased = false, 0, false
		if sc == ScopeMarketing {
			s.Marketing = true
		}
	}
	return s
}

// OriginPrefix starts the origin of the messages tern sends about consent
// itself: the one confirmation of a STOP, the answer to HELP, a double
// opt-in's question. They go to the number even when it opted out (a
// STOP's confirmation must), so the send checks let them pass; no front
// door sets such an origin.
const OriginPrefix = "consent/"

// IsExempt tells whether a message of origin is one of tern's own consent
// messages (OriginPrefix), which the opt-out checks let pass.
func IsExempt(origin string) bool { return strings.HasPrefix(origin, OriginPrefix) }
