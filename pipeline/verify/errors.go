package verify

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrNotFound: no such verification for the tenant (or none for the
	// number).
	ErrNotFound = errors.New("verification not found")
	// ErrNotPending is wrapped by the error of a cancel of a verification
	// that ended otherwise (approved, expired, max attempts).
	ErrNotPending = errors.New("verification not pending")
	// ErrUnknownTenant: the tenant is not in the registry.
	ErrUnknownTenant = errors.New("unknown tenant")
)

// WaitError is a refusal that a later call may not get: a send within
// the cooldown, or past the sends allowed in the window. Err is
// core/verify's ErrCooldown or ErrMaxSends; Wait is how long until a
// send would pass.
type WaitError struct {
	Err  error
	Wait time.Duration
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("%v (retry in %v)", e.Err, e.Wait.Round(time.Second))
}

func (e *WaitError) Unwrap() error { return e.Err }
