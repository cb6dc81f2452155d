package consent

import "errors"

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
