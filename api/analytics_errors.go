package api

import (
	"errors"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/analytics"
)

// errNoAnalytics answers the analytics calls of a server given no
// analytics store.
var errNoAnalytics = errors.New("analytics reports are not enabled on this server")

// analyticsError maps the analytics package's request errors, for
// connectError; nil for any other error.
func analyticsError(err error) *connect.Error {
	var re *analytics.RequestError
	switch {
	case errors.As(err, &re):
		return connect.NewError(connect.CodeInvalidArgument, re)
	case errors.Is(err, errNoAnalytics):
		return connect.NewError(connect.CodeUnimplemented, err)
	}
	return nil
}
