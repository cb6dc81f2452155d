package analytics

import (
	"context"
	"errors"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DeadLetterSink takes the records the writer gives up on: those that do
// not decode or convert to a valid row, and rows ClickHouse refuses alone,
// again and again, while it takes the others. It returns once the record
// is durable elsewhere; an error makes the writer try again later.
// tern passes the pipeline's dead-letter topic writer.
type DeadLetterSink interface {
	DeadLetter(ctx context.Context, rec *kgo.Record, reason string) error
}

// WithDeadLetters gives the writer somewhere to put the records it gives
// up on. Without one they are logged, counted as skipped and dropped, and
// a row ClickHouse refuses is retried until it takes it.
func WithDeadLetters(d DeadLetterSink) WriterOption { return deadLettersOption{d} }

type deadLettersOption struct{ d DeadLetterSink }

func (o deadLettersOption) applyToWriter(w *writerOptions) { w.dead = o.d }

// deadRecord is a record on its way to the dead-letter sink.
type deadRecord struct {
	rec    *kgo.Record
	reason string
}

// outageCodes are ClickHouse exceptions that say nothing about the rows
// of an insert: the server is overloaded, shutting down, read-only,
// short of memory or disk, or its schema is not what the writer expects.
// An insert refused with one is retried whole, however long it takes.
var outageCodes = map[int32]bool{
	3: true, 16: true, 32: true, 47: true, 60: true, 81: true, // end of file; missing column, table, database
	159: true, 160: true, 164: true, 192: true, 193: true, 202: true, 203: true, // timeouts, read-only, login, limits
	209: true, 210: true, 225: true, 236: true, 241: true, 242: true, 243: true, 252: true, // network, memory, disk, parts
	319: true, 394: true, 425: true, 439: true, 497: true, 516: true, 999: true, 1000: true, // keeper, cancelled, access
}

// refused reports whether err is ClickHouse refusing an insert for
// something in its rows (as far as the writer can tell): an exception the
// server answered with that is not among outageCodes. A network error or
// timeout is not a refusal.
func refused(err error) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && !outageCodes[ex.Code]
}
