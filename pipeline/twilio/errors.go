package twilio

import (
	"errors"

	"github.com/ternsms/tern/pipeline"
)

var (
	// ErrAuth: an unknown or revoked account SID, or a wrong auth token.
	ErrAuth = errors.New("account sid or auth token not valid")
	// ErrNotFound: no such message (or account) for the caller.
	ErrNotFound = errors.New("not found")
)

// isRefusal tells whether err is the intake refusing a message for what
// it is (a field), which trying again cannot change.
func isRefusal(err error) bool {
	var fe *pipeline.FieldError
	return errors.As(err, &fe)
}
