package tenants

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound: no such tenant or key.
	ErrNotFound = errors.New("not found")
	// ErrExists: a tenant with that id exists already.
	ErrExists = errors.New("already exists")
	// ErrNumberTaken: a number is another tenant's sender already; a
	// number belongs to one tenant, which its replies go to.
	ErrNumberTaken = errors.New("number belongs to another tenant")
)

// FieldError says which input field is wrong and why; its text names the
// field and never quotes secrets.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

// Dashboard users and sessions (users.go, logins.go).
var (
	// ErrBadLogin: no such user, or a wrong password; which is not said.
	ErrBadLogin = errors.New("email or password is wrong")
	// ErrLocked is wrapped by *LockedError.
	ErrLocked = errors.New("account locked after too many failed logins")
	// ErrNoSession: the session token is unknown, expired, idle too long,
	// ended, or its user disabled.
	ErrNoSession = errors.New("no session: sign in again")
)

// LockedError refuses a login to an account locked until Until.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v; try again after %s", ErrLocked, e.Until.UTC().Format("15:04 UTC"))
}

func (e *LockedError) Unwrap() error { return ErrLocked }
