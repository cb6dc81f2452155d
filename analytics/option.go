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
