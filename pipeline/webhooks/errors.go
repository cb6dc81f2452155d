package webhooks

import (
	"errors"
	"fmt"
	"net/netip"
)

var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid webhook setting")
	// ErrNotFound: no endpoint of the tenant has the id.
	ErrNotFound = errors.New("webhook endpoint not found")
	// ErrRefused is wrapped by every *RefusedError.
	ErrRefused = errors.New("address refused")
	// ErrBadToken is returned by Deliveries for a page token it did not
	// issue.
	ErrBadToken = errors.New("page_token: not one this server issued")
	// ErrSignature: a Tern-Signature header does not verify.
	ErrSignature = errors.New("webhook signature does not verify")
)

// FieldError names a bad field of an endpoint.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

// RefusedError is an address Client would not dial, and why.
type RefusedError struct {
	Host   string
	Addr   netip.Addr
	Reason string
}

func (e *RefusedError) Error() string {
	if e.Addr.IsValid() {
		return fmt.Sprintf("%s (%s): %s address refused", e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Host, e.Reason)
}

func (e *RefusedError) Unwrap() error { return ErrRefused }
