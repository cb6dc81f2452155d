package verify

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the verification service's Prometheus metrics. A nil
// *Metrics records nothing.
type Metrics struct {
	sends   *prometheus.CounterVec
	checks  *prometheus.CounterVec
	refusal *prometheus.CounterVec
	blocks  *prometheus.CounterVec
	drops   prometheus.Counter
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_verify_sends_total", Help: "Verification codes sent, by kind (started, resent).",
		}, []string{"kind"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_verify_checks_total", Help: "Verification checks, by outcome (approved, pending, expired, max_attempts_reached, canceled).",
		}, []string{"outcome"}),
		refusal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_verify_refused_total", Help: "Verification starts refused, by reason (country_not_enabled, prefix_blocked, max_sends, cooldown).",
		}, []string{"reason"}),
		blocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_verify_prefix_blocks_total", Help: "Number prefixes blocked for a tenant for suspected SMS pumping, by verdict (rate, conversion).",
		}, []string{"verdict"}),
		drops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tern_verify_records_dropped_total", Help: "Verify analytics records Kafka did not take (not retried).",
		}),
	}
	reg.MustRegister(m.sends, m.checks, m.refusal, m.blocks, m.drops)
	return m
}

func (m *Metrics) sent(kind string) {
	if m != nil {
		m.sends.WithLabelValues(kind).Inc()
	}
}

func (m *Metrics) checked(outcome string) {
	if m != nil {
		m.checks.WithLabelValues(outcome).Inc()
	}
}

func (m *Metrics) refused(reason string) {
	if m != nil {
		m.refusal.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) block(verdict string) {
	if m != nil {
		m.blocks.WithLabelValues(verdict).Inc()
	}
}

func (m *Metrics) dropped() {
	if m != nil {
		m.drops.Inc()
	}
}
