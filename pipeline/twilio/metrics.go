package twilio

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the surface's background metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	callbacks *prometheus.CounterVec
	inbound   *prometheus.CounterVec
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_twilio_status_callbacks_total", Help: "Twilio-style status callback posts, by outcome (delivered, retry, gave_up).",
		}, []string{"outcome"}),
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_twilio_inbound_posts_total", Help: "Inbound messages posted to tenants' SMS URLs, by outcome (ok, failed, bad_twiml).",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.callbacks, m.inbound)
	return m
}

func (m *Metrics) callback(outcome string) {
	if m != nil {
		m.callbacks.WithLabelValues(outcome).Inc()
	}
}

func (m *Metrics) inboundPost(outcome string) {
	if m != nil {
		m.inbound.WithLabelValues(outcome).Inc()
	}
}
