package router

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the router's Prometheus series. Without a registerer they
// are kept but never exported.
type metrics struct {
	latency     *prometheus.HistogramVec
	transitions *prometheus.CounterVec
	states      *stateCollector
}

func newMetrics() *metrics {
	return &metrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tern_carrier_submit_seconds",
			Help:    "Time a submit through the carrier router took, by carrier and outcome (ok, refused, in_doubt, unavailable).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"carrier", "outcome"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_carrier_breaker_transitions_total",
			Help: "Circuit breaker state changes, by carrier, from and to (closed, half-open, open).",
		}, []string{"carrier", "from", "to"}),
		states: &stateCollector{desc: prometheus.NewDesc("tern_carrier_breaker_state",
			"Circuit breaker state per carrier: 0 closed, 1 half-open, 2 open.", []string{"carrier"}, nil)},
	}
}

// register registers every series with reg; the breakers must be set.
func (m *metrics) register(reg prometheus.Registerer) error {
	var errs []error
	for _, c := range []prometheus.Collector{m.latency, m.transitions, m.states} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (m *metrics) observer(carrier string, o outcome) func(time.Duration) {
	h := m.latency.WithLabelValues(carrier, o.String())
	return func(d time.Duration) { h.Observe(d.Seconds()) }
}

func (m *metrics) transition(carrier string, from, to BreakerState) {
	m.transitions.WithLabelValues(carrier, from.String(), to.String()).Inc()
}

// stateCollector reports each breaker's state when scraped, so an open
// breaker whose timeout passed shows half-open without traffic.
type stateCollector struct {
	desc     *prometheus.Desc
	breakers []*breaker
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	for _, b := range c.breakers {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(b.state()), b.name)
	}
}
