package flows

import "errors"

var (
	// ErrBadToken is returned by Runs for a page token it did not issue.
	ErrBadToken = errors.New("page_token: not one this server issued")
	// ErrNoPhone: a run's customer has no phone number tern can text.
	ErrNoPhone = errors.New("no phone number for the customer")
)
