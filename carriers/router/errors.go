package router

import (
	"errors"

	"github.com/ternsms/tern/carriers"
)

var (
	// ErrNoRoute means no route serves a destination: no prefix or
	// country route matches it and there is no "*" route. It is a
	// configuration problem, reported per message; sending the same
	// message again does not help until the routes change.
	// It is carriers.ErrNoRoute, so callers need not import this package.
	ErrNoRoute = carriers.ErrNoRoute
	// ErrInvalidConfig wraps every error about a carrier spec, a route
	// spec, a config file or a Config that does not validate. The wrapped
	// text names the offending entry.
	ErrInvalidConfig = errors.New("invalid carrier routing config")
)
