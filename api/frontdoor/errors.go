package frontdoor

import "errors"

var (
	// ErrTooManyConnections means a Limiter already had Limits.Total
	// connections open.
	ErrTooManyConnections = errors.New("too many open connections")
	// ErrTooManyFromClient means a Limiter already had Limits.PerClient
	// connections open from the same client.
	ErrTooManyFromClient = errors.New("too many open connections from one client")
)
