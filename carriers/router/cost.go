package router

import (
	"fmt"
	"strings"

	"github.com/ternsms/tern/core/price"
)

// Cost is what a carrier charges tern for one segment. The zero Cost is
// unknown.
type Cost struct {
	PerSegment price.Amount
	// Currency is an ISO 4217 code such as "USD"; "" when the cost is
	// unknown.
	Currency string
}

// Known reports whether c says anything: a currency is set.
func (c Cost) Known() bool { return c.Currency != "" }

// String writes "0.0042 USD", or "unknown".
func (c Cost) String() string {
	if !c.Known() {
		return "unknown"
	}
	return c.PerSegment.String() + " " + c.Currency
}

// validate checks a cost that may leave its currency to someone else.
func (c Cost) validate(currencyRequired bool) error {
	if c.PerSegment < 0 {
		return fmt.Errorf("cost %s: negative", c.PerSegment)
	}
	if c.Currency == "" {
		if c.PerSegment != 0 && currencyRequired {
			return fmt.Errorf("cost %s: no currency", c.PerSegment)
		}
		return nil
	}
	if !isCurrency(c.Currency) {
		return fmt.Errorf("currency %q: want an ISO 4217 code such as USD", c.Currency)
	}
	return nil
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range len(s) {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func parseCurrency(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if !isCurrency(c) {
		return "", fmt.Errorf("currency %q: want an ISO 4217 code such as USD", s)
	}
	return c, nil
}

func parseCost(s string) (price.Amount, error) {
	a, err := price.ParseAmount(s)
	if err != nil {
		return 0, fmt.Errorf("cost: %w", err)
	}
	return a, nil
}
