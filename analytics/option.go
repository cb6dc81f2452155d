package analytics

import (
	"log/slog"
	"time"
)

// StoreOption configures Open.
type StoreOption interface {
	applyToStore(*storeOptions)
}

// WriterOption configures NewWriter.
type WriterOption interface {
	applyToWriter(*writerOptions)
}

// Option configures both Open and NewWriter.
type Option interface {
	StoreOption
	WriterOption
}

type storeOptions struct {
	log *slog.Logger
}

type writerOptions struct {
	log             *slog.Logger
	shutdownTimeout time.Duration
	dead            DeadLetterSink
	costs           Costs
}

// DefaultShutdownTimeout bounds the writer's last flush and commit after its
// context ends.
const DefaultShutdownTimeout = 10 * time.Second

// WithLogger sets the logger. Default: slog.Default() for the store; the
// store's logger for a writer.
func WithLogger(l *slog.Logger) Option { return loggerOption{l} }

type loggerOption struct{ l *slog.Logger }

func (o loggerOption) applyToStore(s *storeOptions)   { s.log = o.l }
func (o loggerOption) applyToWriter(w *writerOptions) { w.log = o.l }

// WithShutdownTimeout bounds the writer's final flush and offset commit
// once Run's context has ended. Default DefaultShutdownTimeout.
func WithShutdownTimeout(d time.Duration) WriterOption { return shutdownTimeoutOption(d) }

type shutdownTimeoutOption time.Duration

func (o shutdownTimeoutOption) applyToWriter(w *writerOptions) {
	if o > 0 {
		w.shutdownTimeout = time.Duration(o)
	}
}

// Costs gives what a carrier charges tern for one segment to a number, in
// millionths of currency; ok is false when the route's cost is unknown.
// tern passes its route table's costs (the carriers' and routes' cost=).
type Costs interface {
	Cost(carrier, to string) (perSegmentMicros int64, currency string, ok bool)
}

// WithCosts has the writer record, on each carrier's accept, what the
// carrier charges for the message: segments × the route's cost. Without
// it, costs are 0.
func WithCosts(c Costs) WriterOption { return costsOption{c} }

type costsOption struct{ c Costs }

func (o costsOption) applyToWriter(w *writerOptions) { w.costs = o.c }
