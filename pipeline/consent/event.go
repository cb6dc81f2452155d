package consent

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/phone"
)

// Limits on an event's free-text fields.
const (
	MaxSource     = 500
	MaxDisclosure = 2000
	MaxUserAgent  = 512
	MaxDedupe     = 255
)

// Event is one consent record as given.
type Event struct {
	Tenant string
	// Number in E.164; any international form is normalized.
	Number string
	// Channel is "sms" when empty.
	Channel string
	Kind    consent.Event
	Scope   consent.Scope
	Method  Method
	Source  string
	// Disclosure is the text the person agreed to, or its version.
	Disclosure string
	IP         string
	UserAgent  string
	// Detail says more, e.g. which reply confirmed a double opt-in.
	Detail string
	// At is when it was given; zero is now.
	At time.Time
	// Dedupe, when set, makes a retried write record once: an idempotency
	// key, or the MO record a keyword came in.
	Dedupe string
}

// Recorded is an event as the ledger holds it.
type Recorded struct {
	Event
	ID       int64
	Recorded time.Time
}

// check normalizes e and returns the first problem as a *FieldError.
func (e Event) check(now time.Time) (Event, error) {
	if e.Tenant == "" {
		return e, invalid("tenant", "required")
	}
	n, err := normalizeNumber(e.Number)
	if err != nil {
		return e, err
	}
	e.Number = n
	if e.Channel == "" {
		e.Channel = "sms"
	}
	if e.Channel != "sms" {
		return e, invalid("channel", "only sms")
	}
	if e.Kind != consent.OptIn && e.Kind != consent.OptOut {
		return e, invalid("kind", "opt_in or opt_out")
	}
	if e.Scope != consent.ScopeAll && e.Scope != consent.ScopeMarketing {
		return e, invalid("scope", "all or marketing")
	}
	if !e.Method.valid() {
		return e, invalid("method", "required: web_form, checkout_checkbox, keyword, double_opt_in, import, api or agent")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"source", e.Source, MaxSource}, {"disclosure", e.Disclosure, MaxDisclosure}, {"user_agent", e.UserAgent, MaxUserAgent}, {"idempotency_key", e.Dedupe, MaxDedupe}} {
		if !utf8.ValidString(f.v) || utf8.RuneCountInString(f.v) > f.max {
			return e, invalid(f.name, fmt.Sprintf("at most %d characters of UTF-8", f.max))
		}
	}
	if e.IP != "" {
		a, err := netip.ParseAddr(e.IP)
		if err != nil {
			return e, invalid("ip", "not an IPv4 or IPv6 address")
		}
		e.IP = a.Unmap().String()
	}
	if e.At.IsZero() {
		e.At = now
	}
	if e.At.After(now.Add(5 * time.Minute)) {
		return e, invalid("occurred_at", "in the future")
	}
	return e, nil
}

// NormalizeNumber returns number in E.164 ('+' optional in the input),
// or a *FieldError naming the field "number".
func NormalizeNumber(number string) (string, error) { return normalizeNumber(number) }

func normalizeNumber(number string) (string, error) {
	if strings.TrimSpace(number) == "" {
		return "", invalid("number", "required")
	}
	raw := strings.TrimSpace(number)
	if !strings.HasPrefix(raw, "+") {
		raw = "+" + raw
	}
	n, err := phone.Parse(raw, "")
	if err != nil {
		return "", invalid("number", "not a valid phone number in E.164 form (+14155552671)")
	}
	return n.E164, nil
}

func nullIP(ip string) *string {
	if ip == "" {
		return nil
	}
	return &ip
}
