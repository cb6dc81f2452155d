package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's Prometheus metrics.
type metrics struct {
	bound       prometheus.Gauge
	connections prometheus.Gauge
	refused     prometheus.Counter
	bindsFailed *prometheus.CounterVec
	submits     *prometheus.CounterVec
	batch       prometheus.Histogram
	queued      *prometheus.CounterVec
	delivered   *prometheus.CounterVec
	expired     *prometheus.CounterVec
	lost        prometheus.Counter
	pending     prometheus.Gauge
	hashes      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		bound: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tern_smpp_binds", Help: "Customer sessions bound to this instance's SMPP gateway.",
		}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tern_smpp_connections", Help: "Open connections to this instance's SMPP gateway, bound or not.",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tern_smpp_connections_refused_total", Help: "Connections closed at once because the gateway had its maximum open.",
		}),
		bindsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_smpp_bind_failures_total", Help: "Binds refused, by reason (password, unknown system_id, disabled, address not allowed, backoff, bind limit, error).",
		}, []string{"reason"}),
		submits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_smpp_submits_total", Help: "Messages submitted over SMPP (one per submit_multi destination), by the command_status answered.",
		}, []string{"status"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tern_smpp_intake_batch_size", Help: "Messages per intake call of the SMPP gateway.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 6),
		}),
		queued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_smpp_queued_total", Help: "Receipts and replies this instance queued for customers, by kind (receipt, mo).",
		}, []string{"kind"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_smpp_delivered_total", Help: "Receipts and replies a customer acknowledged on a bind of this instance, by kind.",
		}, []string{"kind"}),
		expired: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_smpp_queue_expired_total", Help: "Receipts and replies dropped before a customer took them, by reason (limit, age, refused).",
		}, []string{"reason"}),
		lost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tern_smpp_receipt_records_failed_total", Help: "Accepted messages whose receipt record was not written (the gateway stopped first, or the database refused its data): no receipt will go back for them.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tern_smpp_receipt_records_pending", Help: "Accepted messages whose receipt record waits for a retry of its write.",
		}),
		hashes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tern_smpp_password_hashes_total", Help: "PBKDF2 computations of the SMPP gateway: password checks of binds (refused ones included) and hash upgrades.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.bound, m.connections, m.refused, m.bindsFailed, m.submits, m.batch, m.queued, m.delivered, m.expired, m.lost, m.pending, m.hashes)
	}
	return m
}
