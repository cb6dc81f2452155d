package verify

import (
	"errors"
	"fmt"
)

// Refusals of a verification. Their texts reach API clients as they are
// and start with the field they are about; none quotes a number or code.
var (
	// ErrCountryNotEnabled refuses a verification to a country the
	// tenant's allow-list does not name.
	ErrCountryNotEnabled = errors.New("to: country not enabled for verification")
	// ErrPrefixBlocked refuses a verification to a number prefix blocked
	// for the tenant after a pumping verdict.
	ErrPrefixBlocked = errors.New("to: prefix temporarily blocked (suspected SMS pumping)")
	// ErrMaxSends refuses a send past the policy's sends per number.
	ErrMaxSends = errors.New("to: too many codes sent to this number; wait for the window to pass")
	// ErrCooldown refuses a send within the cooldown after the last one.
	ErrCooldown = errors.New("to: a code was sent to this number moments ago; wait before sending again")
	// ErrPolicy is wrapped by a Policy's Validate errors.
	ErrPolicy = errors.New("invalid verify policy")
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid input")
)

// FieldError names the input field that is wrong and why; it never
// quotes the value.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
