package pipeline

import (
	"context"
	"errors"
	"log/slog"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Failure is how a write of a batch failed, which decides what is tried
// next.
type Failure int

const (
	// FailureOutage: the database or Kafka could not be reached, was
	// overloaded, shutting down or not in the shape expected. Nothing is
	// wrong with the items: the write is retried until it succeeds.
	FailureOutage Failure = iota
	// FailureData: the store refused an item's data (a value it cannot
	// hold, a constraint). Trying again cannot help.
	FailureData
	// FailureOther: the store refused the write for a reason that is
	// neither. Items failing so alone, while others succeed, are given
	// up after IsolateTries.
	FailureOther
)

// Classify places err. PostgreSQL errors are placed by their SQLSTATE
// class: 22 (data exception), 23 (integrity constraint) and 54 (program
// limit, such as a value too large to index) are data; 08, 25, 28, 3D,
// 3F, 40, 42, 53, 55, 57, 58 and XX are outages (a connection, resource,
// operator or schema problem that is the same for every item). Kafka
// refusing a record as too large or invalid is data. Anything that is not
// an answer from the server (a network error, a timeout) is an outage.
func Classify(err error) Failure {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch class := pg.Code[:min(2, len(pg.Code))]; class {
		case "22", "23", "54":
			return FailureData
		case "08", "25", "28", "3D", "3F", "40", "42", "53", "55", "57", "58", "XX":
			return FailureOutage
		}
		return FailureOther
	}
	if errors.Is(err, kerr.MessageTooLarge) || errors.Is(err, kerr.InvalidRecord) || errors.Is(err, kerr.CorruptMessage) {
		return FailureData
	}
	return FailureOutage
}

// IsolateTries is how often an item is written alone, failing while other
// items of its batch succeed, before it is given up.
const IsolateTries = 5

// Isolated writes batches of items that come from outside (Kafka records)
// so that one bad item never holds up the others: a batch that fails for
// a reason other than an outage is written again one item at a time, and
// an item that fails alone is given up to DeadLetter, with the reason,
// when its failure is FailureData, or FailureOther IsolateTries times
// while other items of the batch went through. An outage is retried until
// it ends, whatever it takes: it never gives anything up.
type Isolated[T any] struct {
	// Write makes items durable, all or none.
	Write func(ctx context.Context, items []T) error
	// DeadLetter gives one item up with the reason; it is retried until
	// it succeeds or ctx ends.
	DeadLetter func(ctx context.Context, item T, reason string) error
	Log        *slog.Logger
	// What names the items in logs, e.g. "receipts".
	What string
}

// Run writes items and returns true once each is written or given up;
// false when ctx ended first.
func (b Isolated[T]) Run(ctx context.Context, items []T) bool {
	if len(items) == 0 {
		return true
	}
	for attempt := 1; ; attempt++ {
		err := b.Write(ctx, items)
		switch {
		case err == nil:
			return true
		case ctx.Err() != nil:
			return false
		case Classify(err) != FailureOutage && len(items) > 1:
			b.Log.Warn("write "+b.What+" one by one", "items", len(items), "err", err)
			return b.each(ctx, items)
		case Classify(err) == FailureData:
			return b.GiveUp(ctx, items[0], err)
		}
		b.Log.Warn("write "+b.What, "attempt", attempt, "items", len(items), "err", err)
		if !sleepCtx(ctx, DefaultBackoff.Delay(attempt)) {
			return false
		}
	}
}

// each writes items one at a time, then retries those that failed.
func (b Isolated[T]) each(ctx context.Context, items []T) bool {
	written := 0
	var failed []T
	for _, it := range items {
		err := b.Write(ctx, []T{it})
		switch {
		case err == nil:
			written++
		case ctx.Err() != nil:
			return false
		case Classify(err) == FailureData:
			if !b.GiveUp(ctx, it, err) {
				return false
			}
		default:
			failed = append(failed, it)
		}
	}
	for _, it := range failed {
		for attempt := 2; ; attempt++ {
			if !sleepCtx(ctx, DefaultBackoff.Delay(attempt-1)) {
				return false
			}
			err := b.Write(ctx, []T{it})
			if err == nil {
				written++
				break
			}
			if ctx.Err() != nil {
				return false
			}
			f := Classify(err)
			if f == FailureData || f == FailureOther && attempt >= IsolateTries && written > 0 {
				if !b.GiveUp(ctx, it, err) {
					return false
				}
				break
			}
			b.Log.Warn("write one of "+b.What, "attempt", attempt, "err", err)
		}
	}
	return true
}

// GiveUp dead-letters it with err as the reason, retrying until that
// succeeds or ctx ends.
func (b Isolated[T]) GiveUp(ctx context.Context, it T, err error) bool {
	reason := err.Error()
	b.Log.Error("giving up one of "+b.What, "reason", reason)
	for attempt := 1; ; attempt++ {
		derr := b.DeadLetter(ctx, it, reason)
		if derr == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		b.Log.Warn("dead-letter one of "+b.What, "attempt", attempt, "err", derr)
		if !sleepCtx(ctx, DefaultBackoff.Delay(attempt)) {
			return false
		}
	}
}
