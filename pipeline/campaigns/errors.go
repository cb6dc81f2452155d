package campaigns

import "errors"

var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid campaign")
	// ErrNotFound: no such campaign for the tenant.
	ErrNotFound = errors.New("campaign not found")
	// ErrLinkNotFound: no link has the code.
	ErrLinkNotFound = errors.New("link not found")
)

// FieldError names what is wrong with a campaign.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
