package router

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ternsms/tern/core/phone"
)

// Option changes how a Router behaves.
type Option interface {
	apply(*options)
}

type options struct {
	log    *slog.Logger
	reg    prometheus.Registerer
	phones *phone.Cache
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithLogger sets the logger breaker transitions go to; the default
// discards everything.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(o *options) { o.log = l })
}

// WithRegisterer registers the router's metrics with reg:
//
//   - tern_carrier_breaker_state{carrier}: 0 closed, 1 half-open, 2 open;
//   - tern_carrier_breaker_transitions_total{carrier,from,to};
//   - tern_carrier_submit_seconds{carrier,outcome}: how long submits
//     through Pick's carriers took, by outcome ok, refused, in_doubt or
//     unavailable.
//
// Without it the router keeps no metrics anywhere.
func WithRegisterer(reg prometheus.Registerer) Option {
	return optionFunc(func(o *options) { o.reg = reg })
}

// WithPhoneCache sets the cache the router reads destinations' countries
// from, so that it can share one with the pipeline. The default is a
// cache of its own for 64k numbers. Only country routes need it.
func WithPhoneCache(c *phone.Cache) Option {
	return optionFunc(func(o *options) { o.phones = c })
}
