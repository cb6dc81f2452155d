package smscsim

import "log/slog"

// Option changes how a Server behaves.
type Option interface {
	apply(*Server)
}

type optionFunc func(*Server)

func (f optionFunc) apply(s *Server) { f(s) }

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(s *Server) { s.log = l })
}
