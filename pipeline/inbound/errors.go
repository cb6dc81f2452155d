package inbound

import "errors"

var (
	// ErrUnknownNumber: a reply came to a number no tenant has as a
	// sender id.
	ErrUnknownNumber = errors.New("reply to a number no tenant has")
	// ErrBadToken is returned by List for a page token it did not issue.
	ErrBadToken = errors.New("page_token: not one this server issued")
)
