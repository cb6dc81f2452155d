package contacts

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid contact request")
	// ErrNotFound: no such contact, list, segment or import for the
	// tenant.
	ErrNotFound = errors.New("not found")
	// ErrExists: the name is taken by another list or segment.
	ErrExists = errors.New("name already used")
	// ErrImportDone: the import read its whole file already; more data
	// for it is refused.
	ErrImportDone = errors.New("import is done: its file was read to the end")
)

// FieldError names what is wrong with a request. Its text never quotes a
// phone number.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

// GapError refuses a chunk that starts past what the import has: the
// client must send from Expected.
type GapError struct {
	Expected int64
}

func (e *GapError) Error() string {
	return fmt.Sprintf("offset: the import has %d bytes; send from there", e.Expected)
}
