package consent

import "errors"

// Reasons a refused message ends FAILED with, in events and the delivery
// ledger (pipeline/consent's consent_refusal gives the same texts).
const (
	ReasonOptedOut           = "opted out"
	ReasonNoMarketingConsent = "no marketing consent"
	ReasonSuppressed         = "suppressed"
	// ReasonFrequencyCap: a marketing message over its tenant's cap per
	// recipient (Policy.FrequencyCap).
	ReasonFrequencyCap = "frequency cap"
)

// Reason is the reason a message refused with err ends FAILED with: one
// of the Reason constants, or "" when err is no refusal.
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrOptedOut):
		return ReasonOptedOut
	case errors.Is(err, ErrNoMarketingConsent):
		return ReasonNoMarketingConsent
	case errors.Is(err, ErrSuppressed):
		return ReasonSuppressed
	}
	return ""
}

// Refusals. Their texts reach API clients as they are, and start with the
// field they are about.
var (
	// ErrOptedOut refuses a message to a number that opted out of its
	// category.
	ErrOptedOut = errors.New("to: recipient opted out")
	// ErrNoMarketingConsent refuses a marketing message to a number
	// without an active opt-in.
	ErrNoMarketingConsent = errors.New("to: no marketing consent")
	// ErrSuppressed refuses a marketing message to a number list hygiene
	// suppressed (e.g. a number that no longer exists); the *Refusal names
	// why: "to: suppressed (hygiene: unknown subscriber)".
	ErrSuppressed = errors.New("to: suppressed")
	// ErrPolicy is wrapped by a Policy's Validate errors.
	ErrPolicy = errors.New("invalid consent policy")
)

// Refusal is a refused message: Kind is one of the Err values above,
// Detail an optional qualifier ("hygiene: unknown subscriber").
type Refusal struct {
	Kind   error
	Detail string
}

func (r *Refusal) Error() string {
	if r.Detail == "" {
		return r.Kind.Error()
	}
	return r.Kind.Error() + " (" + r.Detail + ")"
}

func (r *Refusal) Unwrap() error { return r.Kind }
