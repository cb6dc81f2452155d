package analytics

import (
	"context"
	"fmt"
)

// refusedTries is how often a row ClickHouse refuses alone is inserted
// alone, while other rows of its batch go in, before it is given up.
const refusedTries = 5

// maxBlindParts bounds how finely isolate splits a batch before any part
// of it went in: a batch refused in that many parts is refused for
// something its rows share, and is tried whole again later.
const maxBlindParts = 64

// span is the rows [lo, hi) of a batch.
type span struct{ lo, hi int }

func (s span) len() int { return s.hi - s.lo }

// insert tries once to insert b's rows. When ClickHouse refuses them, and
// there is a dead-letter sink, it looks for the rows refused alone
// (isolate). It reports whether every row is settled: inserted, or given
// to the sink; rows left over stay in b.
func (w *Writer) insert(ctx context.Context, b *batch) bool {
	if len(b.rows) == 0 {
		return true
	}
	err := w.store.Insert(ctx, b.rows)
	if err == nil {
		w.inserted(len(b.rows))
		return true
	}
	w.failed.Add(1)
	if ctx.Err() != nil {
		return false
	}
	if w.dead == nil || !refused(err) {
		w.log.Warn("insert batch", "rows", len(b.rows), "err", err)
		return false
	}
	w.log.Warn("insert batch refused; inserting it in parts", "rows", len(b.rows), "err", err)
	return w.isolate(ctx, b)
}

func (w *Writer) inserted(n int) {
	w.rows.Add(int64(n))
	w.batches.Add(1)
}

// isolate inserts b's rows in halves, halving again each part ClickHouse
// refuses, down to single rows. Once some part went in, a row refused
// alone is retried alone and then given up (retryAlone); when none did,
// the refusal is the batch's, not a row's, and nothing is given up.
func (w *Writer) isolate(ctx context.Context, b *batch) bool {
	settled := make([]bool, len(b.rows))
	defer b.keep(func(i int) bool { return !settled[i] })
	inserted := 0
	var singles []int
	parts := []span{{0, len(b.rows)}}
	for len(parts) > 0 {
		var next []span
		for _, p := range parts {
			if p.len() == 1 {
				singles = append(singles, p.lo)
				continue
			}
			mid := p.lo + p.len()/2
			for _, h := range []span{{p.lo, mid}, {mid, p.hi}} {
				err := w.store.Insert(ctx, b.rows[h.lo:h.hi])
				switch {
				case err == nil:
					w.inserted(h.len())
					inserted += h.len()
					for i := h.lo; i < h.hi; i++ {
						settled[i] = true
					}
				case !refused(err):
					w.failed.Add(1)
					w.log.Warn("insert part of a batch", "rows", h.len(), "err", err)
					return false
				default:
					w.failed.Add(1)
					next = append(next, h)
				}
			}
		}
		parts = next
		if inserted == 0 && len(parts) > maxBlindParts {
			return false
		}
	}
	if inserted == 0 {
		return false
	}
	all := true
	for _, i := range singles {
		settled[i] = w.retryAlone(ctx, b, i)
		all = all && settled[i]
	}
	return all
}

// retryAlone inserts row i of b alone until it goes in, or ClickHouse has
// refused it refusedTries times (counting the refusal that isolated it)
// and it goes to the dead-letter sink. It reports whether the row is
// settled; an outage leaves it for the next try.
func (w *Writer) retryAlone(ctx context.Context, b *batch, i int) bool {
	wait := retryMin
	var err error
	for range refusedTries - 1 {
		if !sleepCtx(ctx, wait) {
			return false
		}
		wait = min(wait*2, retryMax)
		if err = w.store.Insert(ctx, b.rows[i:i+1]); err == nil {
			w.inserted(1)
			return true
		}
		w.failed.Add(1)
		if !refused(err) {
			return false
		}
	}
	rec := b.recs[i]
	reason := fmt.Sprintf("clickhouse refused the row %d times while taking others: %v", refusedTries, err)
	w.log.Error("giving up a row", "topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "reason", reason)
	if derr := w.dead.DeadLetter(ctx, rec, reason); derr != nil {
		w.log.Warn("dead-letter a row", "err", derr)
		return false
	}
	w.deadLettered.Add(1)
	return true
}

// deadLetterAll gives b's dead records to the sink, each once; it reports
// whether all went. Those written leave b.
func (w *Writer) deadLetterAll(ctx context.Context, b *batch) bool {
	for len(b.dead) > 0 {
		d := b.dead[0]
		if err := w.dead.DeadLetter(ctx, d.rec, d.reason); err != nil {
			if ctx.Err() == nil {
				w.log.Warn("dead-letter a record", "topic", d.rec.Topic, "offset", d.rec.Offset, "err", err)
			}
			return false
		}
		w.deadLettered.Add(1)
		b.dead[0] = deadRecord{}
		b.dead = b.dead[1:]
	}
	return true
}
