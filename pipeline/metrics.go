package pipeline

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ternsms/tern/core"
)

// Metrics are the pipeline's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	accepted        prometheus.Counter
	submitted       prometheus.Counter
	final           *prometheus.CounterVec
	inDoubt         *prometheus.CounterVec
	retried         prometheus.Counter
	deadLettered    prometheus.Counter
	deferred        *prometheus.CounterVec
	unknownReceipts prometheus.Counter
	window          prometheus.Gauge
	lag             *prometheus.GaugeVec
	ledgerSeconds   *prometheus.HistogramVec
	ledgerRows      *prometheus.HistogramVec
	ledgerPruned    *prometheus.CounterVec
	recordsDead     *prometheus.CounterVec
	receiptsParked  prometheus.Counter
	noReceipt       prometheus.Counter
}

// NewMetrics registers the pipeline's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tern_messages_accepted_total", Help: "Messages accepted by the intake (durable in Kafka).",
		}),
		submitted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tern_messages_submitted_total", Help: "Messages a carrier accepted.",
		}),
		final: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_messages_final_total", Help: "Messages that reached a final status, by status (delivered, undelivered, failed, ...).",
		}, []string{"status"}),
		inDoubt: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_messages_in_doubt_total", Help: "Submits whose outcome was unknown, by the policy applied (resubmit or fail).",
		}, []string{"policy"}),
		retried: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tern_submit_retries_total", Help: "Submits retried after a temporary refusal or an unreachable carrier.",
		}),
		deadLettered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tern_messages_dead_lettered_total", Help: "Records that could not be processed and went to the dead-letter topic.",
		}),
		deferred: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_messages_deferred_total", Help: "Messages put aside until a later time, by reason (send_at, quiet_hours, retry, rate_limit).",
		}, []string{"reason"}),
		unknownReceipts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tern_receipts_unknown_total", Help: "Receipts whose carrier id matched no message when they arrived (kept for a later join).",
		}),
		window: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tern_actor_window_in_use", Help: "Messages fetched by partition actors and not finished yet, over all partitions.",
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tern_actor_lag", Help: "Messages in a partition of a submit topic (lane) not yet fetched by its actor.",
		}, []string{"topic", "partition"}),
		ledgerSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tern_ledger_batch_seconds", Help: "Time to write one ledger batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"kind"}),
		ledgerRows: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tern_ledger_batch_rows", Help: "Rows in one ledger batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}, []string{"kind"}),
		ledgerPruned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_ledger_pruned_rows_total", Help: "Ledger rows deleted after the retention, by table (deliveries, carrier_message_ids, unknown_receipts).",
		}, []string{"table"}),
		recordsDead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tern_records_dead_lettered_total", Help: "Records of the receipts, events and MO topics a consumer gave up on and put on the dead-letter topic, by source topic.",
		}, []string{"topic"}),
		receiptsParked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tern_receipts_parked_total", Help: "Receipts kept instead of applied: their part was settled already or their message was submitted after them, as when a carrier reuses ids.",
		}),
		noReceipt: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tern_messages_no_receipt_total", Help: "Messages a carrier accepted that got no receipt by their validity plus the grace period; they end UNKNOWN.",
		}),
	}
	reg.MustRegister(m.accepted, m.submitted, m.final, m.inDoubt, m.retried, m.deadLettered, m.deferred, m.unknownReceipts,
		m.window, m.lag, m.ledgerSeconds, m.ledgerRows, m.ledgerPruned, m.recordsDead, m.receiptsParked, m.noReceipt)
	return m
}

func (m *Metrics) addAccepted(n int) {
	if m != nil {
		m.accepted.Add(float64(n))
	}
}

func (m *Metrics) addSubmitted() {
	if m != nil {
		m.submitted.Inc()
	}
}

func (m *Metrics) addFinal(s core.Status) {
	if m != nil {
		m.final.WithLabelValues(s.String()).Inc()
	}
}

func (m *Metrics) addInDoubt(p InDoubtPolicy) {
	if m != nil {
		m.inDoubt.WithLabelValues(p.String()).Inc()
	}
}

func (m *Metrics) addRetry() {
	if m != nil {
		m.retried.Inc()
	}
}

func (m *Metrics) addDeadLettered() {
	if m != nil {
		m.deadLettered.Inc()
	}
}

func (m *Metrics) addDeferred(reason string) {
	if m != nil {
		m.deferred.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) addUnknownReceipts(n int) {
	if m != nil && n > 0 {
		m.unknownReceipts.Add(float64(n))
	}
}

func (m *Metrics) addWindow(d int) {
	if m != nil {
		m.window.Add(float64(d))
	}
}

func (m *Metrics) setLag(topic string, partition int, lag int64) {
	if m != nil {
		m.lag.WithLabelValues(topic, strconv.Itoa(partition)).Set(float64(lag))
	}
}

func (m *Metrics) observeLedgerBatch(kind string, n int, d time.Duration) {
	if m != nil {
		m.ledgerSeconds.WithLabelValues(kind).Observe(d.Seconds())
		m.ledgerRows.WithLabelValues(kind).Observe(float64(n))
	}
}

func (m *Metrics) addPruned(n Pruned) {
	if m != nil {
		m.ledgerPruned.WithLabelValues("deliveries").Add(float64(n.Deliveries))
		m.ledgerPruned.WithLabelValues("carrier_message_ids").Add(float64(n.CarrierIDs))
		m.ledgerPruned.WithLabelValues("unknown_receipts").Add(float64(n.Receipts))
	}
}

func (m *Metrics) addRecordDeadLettered(topic string) {
	if m != nil {
		m.recordsDead.WithLabelValues(topic).Inc()
	}
}

func (m *Metrics) addParkedReceipts(n int) {
	if m != nil && n > 0 {
		m.receiptsParked.Add(float64(n))
	}
}

func (m *Metrics) addNoReceipt(n int) {
	if m != nil && n > 0 {
		m.noReceipt.Add(float64(n))
	}
}
