package gateway

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ternsms/tern/core"
)

// Account defaults, applied by Account.WithDefaults.
const (
	DefaultBindLimit = 10
	DefaultMaxQueued = 100_000
)

// Account is one customer's SMPP access.
type Account struct {
	// SystemID is what the customer binds with: 1 to 15 printable ASCII
	// characters. It names the account everywhere, and every message it
	// sends carries the origin "smpp/SYSTEM_ID".
	SystemID string `json:"system_id"`
	// TenantID is the tenant its messages belong to.
	TenantID string `json:"tenant"`
	// BindLimit bounds the sessions bound at once, over every instance.
	// Default DefaultBindLimit.
	BindLimit int `json:"bind_limit"`
	// AllowedIPs, when not empty, are the only networks binds may come
	// from.
	AllowedIPs []netip.Prefix `json:"allowed_ips,omitempty"`
	// Throughput caps submitted messages per second over all binds (each
	// submit_multi destination counts); beyond it requests are answered
	// ESME_RTHROTTLED. 0 sets no cap.
	Throughput float64 `json:"throughput,omitempty"`
	// Category applies to every message; unset means transactional.
	Category core.Category `json:"-"`
	// Latin1 reads data_coding 0 as ISO-8859-1 instead of the GSM 03.38
	// default alphabet, for ESMEs that send it so.
	Latin1 bool `json:"dc0_latin1,omitempty"`
	// Numbers are the account's own numbers and short codes: replies to
	// them go to the account. Written as E.164 ("+14155550100") or digits.
	Numbers []string `json:"numbers,omitempty"`
	// MaxQueued bounds the receipts and replies kept for the account while
	// it is not bound to receive; beyond it the oldest expire. Default
	// DefaultMaxQueued.
	MaxQueued int `json:"max_queued"`
	// Disabled accounts cannot bind.
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// WithDefaults returns a with zero limits set to their defaults and its
// numbers in their stored form.
func (a Account) WithDefaults() Account {
	if a.BindLimit == 0 {
		a.BindLimit = DefaultBindLimit
	}
	if a.MaxQueued == 0 {
		a.MaxQueued = DefaultMaxQueued
	}
	a.Category = a.Category.Normalize()
	nums := make([]string, 0, len(a.Numbers))
	for _, n := range a.Numbers {
		nums = append(nums, NormalizeNumber(n))
	}
	a.Numbers = nums
	return a
}

// Validate reports every problem with a, each wrapping ErrInvalidAccount.
func (a Account) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidAccount}, args...)...))
	}
	if a.SystemID == "" || len(a.SystemID) > 15 || !printable(a.SystemID) {
		bad("system_id: 1 to 15 printable ASCII characters without spaces")
	}
	if a.TenantID == "" {
		bad("tenant: required")
	}
	if a.BindLimit < 1 {
		bad("bind limit %d: want at least 1", a.BindLimit)
	}
	if a.Throughput < 0 {
		bad("throughput %v: want 0 (no cap) or more", a.Throughput)
	}
	if a.Category > core.CategoryOTP {
		bad("category %d: unknown", a.Category)
	}
	if a.MaxQueued < 1 {
		bad("max queued %d: want at least 1", a.MaxQueued)
	}
	for _, n := range a.Numbers {
		if d := NormalizeNumber(n); d == "" || len(d) > 16 || strings.Trim(d, "0123456789") != "" {
			bad("number %q: want E.164 or a short code, digits only", n)
		}
	}
	return errors.Join(errs...)
}

// allows reports whether a bind from addr may use the account.
func (a *Account) allows(addr netip.Addr) bool {
	if len(a.AllowedIPs) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, p := range a.AllowedIPs {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ParseCategory reads transactional, marketing or otp ("" is
// transactional).
func ParseCategory(s string) (core.Category, error) {
	switch strings.ToLower(s) {
	case "", "transactional":
		return core.CategoryTransactional, nil
	case "marketing":
		return core.CategoryMarketing, nil
	case "otp":
		return core.CategoryOTP, nil
	}
	return 0, fmt.Errorf("%w: category %q: want transactional, marketing or otp", ErrInvalidAccount, s)
}

// ParsePrefix reads a network in CIDR form, or a single address.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("%w: %w", ErrInvalidAccount, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%w: %w", ErrInvalidAccount, err)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// NormalizeNumber returns a number as the gateway stores and matches it:
// digits only, without '+' or a leading international "00".
func NormalizeNumber(n string) string {
	n = strings.TrimSpace(n)
	n = strings.TrimPrefix(n, "+")
	return n
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
