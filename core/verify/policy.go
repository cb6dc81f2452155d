package verify

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ternsms/tern/core/consent"
)

// Defaults of a tenant's verify policy.
const (
	DefaultExpiry     = 10 * time.Minute
	DefaultMaxChecks  = 5
	DefaultMaxSends   = 5
	DefaultSendWindow = 10 * time.Minute
	DefaultCooldown   = 30 * time.Second
	DefaultLocale     = "en"
)

// Policy is one tenant's verification settings, kept as JSON. Zero
// fields take the defaults (WithDefaults); the zero Policy is tern's
// default behaviour.
type Policy struct {
	// Expiry is how long a code may be checked after the verification
	// starts; it is also the validity of the message carrying it.
	// Default 10m; 1m to 24h.
	Expiry consent.Duration `json:"expiry,omitempty"`
	// MaxChecks is how many checks one verification allows; the next
	// is refused (max_attempts_reached). Default 5; 1 to 20.
	MaxChecks int `json:"max_checks,omitempty"`
	// MaxSends is how many codes one number may be sent in SendWindow,
	// first sends and resends together. Default 5 in 10m.
	MaxSends   int              `json:"max_sends,omitempty"`
	SendWindow consent.Duration `json:"send_window,omitempty"`
	// Cooldown is the least time between two sends to one number.
	// Default 30s; "0s" is none.
	Cooldown *consent.Duration `json:"cooldown,omitempty"`
	// CodeLength is the code's digits when a request names none.
	// Default 6; 4 to 10.
	CodeLength int `json:"code_length,omitempty"`
	// Locale is the message's language when a request names none.
	// Default "en".
	Locale string `json:"locale,omitempty"`
	// Brand names the tenant in the message. Default: the tenant's
	// consent brand (its name unless set).
	Brand string `json:"brand,omitempty"`
	// From is the sender id; empty is the tenant's default sender.
	From string `json:"from,omitempty"`
	// Countries are the ISO 3166-1 alpha-2 countries verifications may
	// go to. Empty: the tenant's own countries, those of its sender ids.
	Countries []string `json:"countries,omitempty"`
	// Domain, when set, ends the message with the WebOTP line
	// "@domain #code", which browsers offer to fill in on that site.
	Domain string `json:"domain,omitempty"`
	// AppHash, when set, is the 11-character Android SMS Retriever hash
	// of the tenant's app, put on its own line so the app reads the code.
	AppHash string `json:"app_hash,omitempty"`
	// Pumping tunes the SMS-pumping guard.
	Pumping Pumping `json:"pumping,omitzero"`
}

// WithDefaults returns p with zero fields set to their defaults.
func (p Policy) WithDefaults() Policy {
	if p.Expiry == 0 {
		p.Expiry = consent.Duration(DefaultExpiry)
	}
	if p.MaxChecks == 0 {
		p.MaxChecks = DefaultMaxChecks
	}
	if p.MaxSends == 0 {
		p.MaxSends = DefaultMaxSends
	}
	if p.SendWindow == 0 {
		p.SendWindow = consent.Duration(DefaultSendWindow)
	}
	if p.Cooldown == nil {
		d := consent.Duration(DefaultCooldown)
		p.Cooldown = &d
	}
	if p.CodeLength == 0 {
		p.CodeLength = DefaultCodeLength
	}
	if p.Locale == "" {
		p.Locale = DefaultLocale
	}
	p.Pumping = p.Pumping.WithDefaults()
	return p
}

var (
	domainRE  = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	appHashRE = regexp.MustCompile(`^[A-Za-z0-9+/]{11}$`)
)

// Validate reports the first unusable setting, wrapping ErrPolicy.
func (p Policy) Validate() error {
	bad := func(field, reason string) error { return fmt.Errorf("%w: %s: %s", ErrPolicy, field, reason) }
	switch e := time.Duration(p.Expiry); {
	case e != 0 && (e < time.Minute || e > 24*time.Hour):
		return bad("expiry", "1m to 24h")
	case p.MaxChecks < 0 || p.MaxChecks > 20:
		return bad("max_checks", "1 to 20")
	case p.MaxSends < 0 || p.MaxSends > 100:
		return bad("max_sends", "1 to 100")
	case p.SendWindow != 0 && (time.Duration(p.SendWindow) < time.Minute || time.Duration(p.SendWindow) > 24*time.Hour):
		return bad("send_window", "1m to 24h")
	case p.Cooldown != nil && (*p.Cooldown < 0 || time.Duration(*p.Cooldown) > time.Hour):
		return bad("cooldown", "0s to 1h")
	case p.CodeLength != 0 && (p.CodeLength < MinCodeLength || p.CodeLength > MaxCodeLength):
		return bad("code_length", "4 to 10")
	case p.Locale != "" && !Supported(p.Locale):
		return bad("locale", "not one of "+strings.Join(Locales(), ", "))
	case len(p.Brand) > 40:
		return bad("brand", "at most 40 bytes")
	case p.Domain != "" && !domainRE.MatchString(p.Domain):
		return bad("domain", "a lower-case host name such as shop.example.com")
	case p.AppHash != "" && !appHashRE.MatchString(p.AppHash):
		return bad("app_hash", "11 characters of base64 (A-Z a-z 0-9 + /)")
	}
	for i, c := range p.Countries {
		if len(c) != 2 || strings.ToUpper(c) != c {
			return bad(fmt.Sprintf("countries[%d]", i), "an upper-case ISO 3166-1 alpha-2 code")
		}
	}
	return p.Pumping.validate(bad)
}

// Allows tells whether region may get verifications when the tenant's
// own countries are own: the policy's list when it has one, else own.
func (p Policy) Allows(region string, own []string) bool {
	list := p.Countries
	if len(list) == 0 {
		list = own
	}
	return region != "" && slices.Contains(list, region)
}
