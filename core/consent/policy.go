package consent

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ternsms/tern/core/keyword"
)

// Policy is one tenant's consent settings, kept as JSON with the tenant.
// The zero value, after WithDefaults, is the CTIA-style default: STOP
// stops everything, texts name the brand and say how to get help and
// stop, a double opt-in waits 24 hours, no frequency cap.
type Policy struct {
	// Brand names the sender in every text ("{brand}" in a text). Default:
	// the tenant's name.
	Brand string `json:"brand,omitempty"`
	// Contact is how to reach the brand (URL, e-mail or phone), for the
	// HELP answer ("{contact}"). Optional.
	Contact string `json:"contact,omitempty"`
	// StopScope is what a STOP keyword opts out of: all (default) or
	// marketing.
	StopScope Scope `json:"stop_scope,omitempty"`
	// HelpText answers HELP.
	HelpText string `json:"help_text,omitempty"`
	// StopText confirms an opt-out, once; StartText an opt-in by keyword.
	StopText  string `json:"stop_text,omitempty"`
	StartText string `json:"start_text,omitempty"`
	// DoubleOptInText asks a number to confirm a marketing opt-in;
	// ConfirmedText thanks it once it did.
	DoubleOptInText string `json:"double_opt_in_text,omitempty"`
	ConfirmedText   string `json:"confirmed_text,omitempty"`
	// DoubleOptInTTL is how long a pending double opt-in waits for its
	// confirmation. Default 24h, at most 30 days.
	DoubleOptInTTL Duration `json:"double_opt_in_ttl,omitempty"`
	// Keywords adds or removes words the tenant's replies are read with.
	Keywords keyword.Config `json:"keywords,omitempty"`
	// FrequencyCap limits marketing per recipient; zero Max is no cap.
	FrequencyCap FrequencyCap `json:"frequency_cap,omitempty"`
	// OptOutFooter, when set, ends every marketing text tern renders from
	// a template ({brand} filled in), e.g. "Reply STOP to opt out". Empty
	// adds none. See WithFooter.
	OptOutFooter string `json:"opt_out_footer,omitempty"`
}

// FrequencyCap is at most Max marketing messages to one recipient in any
// Window, counted across campaigns and flows.
type FrequencyCap struct {
	Max    int      `json:"max,omitempty"`
	Window Duration `json:"window,omitempty"`
	// Defer holds a message over the cap until the window lets it go,
	// instead of failing it with reason "frequency cap".
	Defer bool `json:"defer,omitempty"`
}

// Default texts (CTIA Messaging Principles and Best Practices, 5.1: the
// brand, how to get help, how to stop, "Msg&data rates may apply").
const (
	DefaultHelpText        = "{brand}: Help at {contact}. Msg&data rates may apply. Reply STOP to opt out."
	DefaultHelpTextNoLink  = "{brand}: Reply to this message for help. Msg&data rates may apply. Reply STOP to opt out."
	DefaultStopText        = "{brand}: You are unsubscribed and will get no more messages. Reply START to resubscribe."
	DefaultStartText       = "{brand}: You are subscribed again. Reply HELP for help, STOP to opt out. Msg&data rates may apply."
	DefaultDoubleOptInText = "{brand}: Reply Y to confirm you want marketing texts. Msg frequency varies. Msg&data rates may apply. Reply HELP for help, STOP to opt out."
	DefaultConfirmedText   = "{brand}: Thanks, you are subscribed to marketing texts. Msg frequency varies. Msg&data rates may apply. Reply HELP for help, STOP to opt out."
	DefaultDoubleOptInTTL  = 24 * time.Hour
	maxDoubleOptInTTL      = 30 * 24 * time.Hour
	// MaxTextRunes bounds a policy text: two concatenated parts.
	MaxTextRunes = 306
)

// WithDefaults returns p with empty fields set to their defaults; brand
// is the tenant's name, used when p names no Brand.
func (p Policy) WithDefaults(brand string) Policy {
	if p.Brand == "" {
		p.Brand = brand
	}
	if p.StopScope == 0 {
		p.StopScope = ScopeAll
	}
	if p.HelpText == "" {
		p.HelpText = DefaultHelpText
		if p.Contact == "" {
			p.HelpText = DefaultHelpTextNoLink
		}
	}
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&p.StopText, DefaultStopText)
	def(&p.StartText, DefaultStartText)
	def(&p.DoubleOptInText, DefaultDoubleOptInText)
	def(&p.ConfirmedText, DefaultConfirmedText)
	if p.DoubleOptInTTL == 0 {
		p.DoubleOptInTTL = Duration(DefaultDoubleOptInTTL)
	}
	return p
}

// Validate reports the first problem with p, naming the field; it wraps
// ErrPolicy. Texts are checked as given (empty is the default).
func (p Policy) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrPolicy}, args...)...)
	}
	if p.StopScope != 0 && p.StopScope != ScopeAll && p.StopScope != ScopeMarketing {
		return bad("stop_scope: want all or marketing")
	}
	for name, t := range map[string]string{"brand": p.Brand, "contact": p.Contact, "help_text": p.HelpText, "stop_text": p.StopText,
		"start_text": p.StartText, "double_opt_in_text": p.DoubleOptInText, "confirmed_text": p.ConfirmedText, "opt_out_footer": p.OptOutFooter} {
		if !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxTextRunes {
			return bad("%s: at most %d characters of UTF-8", name, MaxTextRunes)
		}
	}
	if d := time.Duration(p.DoubleOptInTTL); d < 0 || d > maxDoubleOptInTTL || (d > 0 && d < time.Minute) {
		return bad("double_opt_in_ttl: from 1m to 720h")
	}
	if c := p.FrequencyCap; c.Max < 0 || (c.Max > 0 && time.Duration(c.Window) < time.Minute) {
		return bad("frequency_cap: max at least 0, and a window of at least 1m when max is set")
	}
	if _, err := keyword.New(p.Keywords); err != nil {
		return bad("keywords: %v", err)
	}
	return nil
}

// Text returns one of p's texts with {brand} and {contact} filled in.
func (p Policy) Text(t string) string {
	return strings.NewReplacer("{brand}", p.Brand, "{contact}", p.Contact).Replace(t)
}

// ParsePolicy reads a policy from JSON, refusing unknown fields, and
// validates it. Empty input is the zero Policy.
func ParsePolicy(b []byte) (Policy, error) {
	var p Policy
	if len(strings.TrimSpace(string(b))) == 0 {
		return p, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("%w: %v", ErrPolicy, err)
	}
	return p, p.Validate()
}

// Duration is a time.Duration written as "24h" in JSON.
type Duration time.Duration

// MarshalText writes d as time.Duration's String.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads time.ParseDuration's form.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
