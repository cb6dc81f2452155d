package verify

import (
	"fmt"
	"time"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/phone"
)

// Defaults of the SMS-pumping guard.
const (
	DefaultPrefixDigits     = 4
	DefaultPumpWindow       = 10 * time.Minute
	DefaultBaseline         = 24 * time.Hour
	DefaultFactor           = 10
	DefaultMinBurst         = 20
	DefaultMinConversion    = 0.1
	DefaultMinStarted       = 30
	DefaultConversionWindow = time.Hour
	DefaultBlockFor         = time.Hour
	// ConversionGrace: starts younger than this are left out of the
	// conversion rate; their customers may still be typing the code.
	ConversionGrace = 2 * time.Minute
)

// Pumping tunes the guard against SMS pumping (toll fraud: fake sign-ups
// that send codes to number ranges paying the fraudster per message).
// Verifications are counted per tenant and prefix: the country calling
// code and the first PrefixDigits national digits. A prefix is blocked
// for the tenant for BlockFor when either
//
//   - its starts in the last Window exceed both MinBurst and Factor times
//     its usual rate (its starts in the Baseline before, scaled to one
//     Window), or
//   - of its starts in the last ConversionWindow (those older than
//     ConversionGrace), at least MinStarted were made and fewer than
//     MinConversion of them were approved.
type Pumping struct {
	// Off turns the guard off for the tenant.
	Off              bool             `json:"off,omitempty"`
	PrefixDigits     int              `json:"prefix_digits,omitempty"`
	Window           consent.Duration `json:"window,omitempty"`
	Baseline         consent.Duration `json:"baseline,omitempty"`
	Factor           float64          `json:"factor,omitempty"`
	MinBurst         int              `json:"min_burst,omitempty"`
	MinConversion    float64          `json:"min_conversion,omitempty"`
	MinStarted       int              `json:"min_started,omitempty"`
	ConversionWindow consent.Duration `json:"conversion_window,omitempty"`
	BlockFor         consent.Duration `json:"block_for,omitempty"`
}

// WithDefaults returns p with zero fields set to their defaults.
func (p Pumping) WithDefaults() Pumping {
	def := func(d *consent.Duration, v time.Duration) {
		if *d == 0 {
			*d = consent.Duration(v)
		}
	}
	if p.PrefixDigits == 0 {
		p.PrefixDigits = DefaultPrefixDigits
	}
	def(&p.Window, DefaultPumpWindow)
	def(&p.Baseline, DefaultBaseline)
	def(&p.ConversionWindow, DefaultConversionWindow)
	def(&p.BlockFor, DefaultBlockFor)
	if p.Factor == 0 {
		p.Factor = DefaultFactor
	}
	if p.MinBurst == 0 {
		p.MinBurst = DefaultMinBurst
	}
	if p.MinConversion == 0 {
		p.MinConversion = DefaultMinConversion
	}
	if p.MinStarted == 0 {
		p.MinStarted = DefaultMinStarted
	}
	return p
}

func (p Pumping) validate(bad func(field, reason string) error) error {
	in := func(d consent.Duration, lo, hi time.Duration) bool {
		return d == 0 || (time.Duration(d) >= lo && time.Duration(d) <= hi)
	}
	switch {
	case p.PrefixDigits < 0 || p.PrefixDigits > 8:
		return bad("pumping.prefix_digits", "1 to 8")
	case !in(p.Window, time.Minute, 24*time.Hour):
		return bad("pumping.window", "1m to 24h")
	case !in(p.Baseline, time.Hour, 30*24*time.Hour):
		return bad("pumping.baseline", "1h to 720h")
	case !in(p.ConversionWindow, 10*time.Minute, 7*24*time.Hour):
		return bad("pumping.conversion_window", "10m to 168h")
	case !in(p.BlockFor, time.Minute, 7*24*time.Hour):
		return bad("pumping.block_for", "1m to 168h")
	case p.Factor < 0 || (p.Factor > 0 && p.Factor < 1):
		return bad("pumping.factor", "at least 1")
	case p.MinBurst < 0 || p.MinStarted < 0:
		return bad("pumping.min_burst", "not negative")
	case p.MinConversion < 0 || p.MinConversion > 1:
		return bad("pumping.min_conversion", "0 to 1")
	}
	return nil
}

// Prefix returns n's prefix of digits national digits: "+", the calling
// code and up to digits of the national number, e.g. "+447911" for
// +447911123456 with 4 digits.
func Prefix(n phone.Number, digits int) string {
	cc := fmt.Sprintf("+%d", n.CountryCode)
	nsn := n.E164[len(cc):]
	return cc + nsn[:min(digits, len(nsn))]
}

// Counts are one prefix's recent verifications for one tenant.
type Counts struct {
	// Recent: starts in the last Window, the one being decided included.
	Recent int
	// Before: starts in the Baseline before that Window.
	Before int
	// Started and Approved: starts in the last ConversionWindow older
	// than ConversionGrace, and how many of them were approved.
	Started, Approved int
}

// Verdict is why a prefix is blocked.
type Verdict string

const (
	// VerdictNone: the counts look normal.
	VerdictNone Verdict = ""
	// VerdictRate: far more starts than the prefix's usual rate.
	VerdictRate Verdict = "rate"
	// VerdictConversion: many starts, few approved.
	VerdictConversion Verdict = "conversion"
)

// Judge returns whether c warrants blocking its prefix, and why. p must
// have its defaults.
func (p Pumping) Judge(c Counts) Verdict {
	if p.Off {
		return VerdictNone
	}
	usual := float64(c.Before) * float64(p.Window) / float64(p.Baseline)
	if c.Recent > p.MinBurst && float64(c.Recent) > p.Factor*usual {
		return VerdictRate
	}
	if c.Started >= p.MinStarted && float64(c.Approved) < p.MinConversion*float64(c.Started) {
		return VerdictConversion
	}
	return VerdictNone
}
