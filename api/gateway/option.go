package gateway

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Option changes how a Server behaves.
type Option interface{ apply(*Server) }

type optionFunc func(*Server)

func (f optionFunc) apply(s *Server) { f(s) }

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(s *Server) { s.log = l }) }

// WithRegisterer registers the gateway's metrics with reg; by default
// they are kept but not exported.
func WithRegisterer(reg prometheus.Registerer) Option {
	return optionFunc(func(s *Server) { s.reg = reg })
}

// StoreOption changes how a Store behaves.
type StoreOption interface{ applyStore(*Store) }

type storeOptionFunc func(*Store)

func (f storeOptionFunc) applyStore(s *Store) { f(s) }

// WithPasswordIterations sets the PBKDF2 work factor of the password
// hashes the store writes, and the one a Server upgrades older hashes to
// and spends on binds it refuses without a password to check. Default
// DefaultPasswordIterations; OpenStore refuses less than
// MinPasswordIterations.
func WithPasswordIterations(n int) StoreOption {
	return storeOptionFunc(func(s *Store) { s.iterations = n })
}

// WithDeadLetters sets where the feed puts the records of the events and
// MO topics it cannot record; by default it writes to Config.Kafka's
// dead-letter topic itself.
func WithDeadLetters(d DeadLetters) Option { return optionFunc(func(s *Server) { s.dead = d }) }
