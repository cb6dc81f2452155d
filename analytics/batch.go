package analytics

import "github.com/twmb/franz-go/pkg/kgo"

// batch is the rows on their way to one insert, the record each came
// from, the records on their way to the dead-letter sink and, per
// partition, the highest offset of them all: committing those commits the
// whole batch, once every row is inserted and every dead record written.
type batch struct {
	rows []Row
	recs []*kgo.Record // recs[i] is rows[i]'s record
	dead []deadRecord
	last map[topicPartition]int64

	// factRows are the batch's rows whose facts are not recorded yet,
	// and facts what they add to the facts table as last looked up;
	// stale once an insert of them failed (it may have landed) or a row
	// joined the batch.
	factRows []Row
	facts    []fact
	fresh    bool
	// engagements wait for their insert.
	engagements []Engagement
}

type topicPartition struct {
	topic     string
	partition int32
}

func newBatch() *batch {
	return &batch{last: make(map[topicPartition]int64)}
}

// reset empties b for the next batch, keeping its room: a writer fills
// batches of the same size again and again.
func (b *batch) reset() {
	clear(b.rows) // drop the strings the rows hold
	b.rows = b.rows[:0]
	clear(b.recs)
	b.recs = b.recs[:0]
	clear(b.dead)
	b.dead = b.dead[:0]
	clear(b.last)
	clear(b.factRows)
	b.factRows = b.factRows[:0]
	b.facts, b.fresh = nil, false
	clear(b.engagements)
	b.engagements = b.engagements[:0]
}

// add puts row, from m, in the batch.
// A row joining the batch makes its facts stale: they are derived again
// with it before they are inserted.
func (b *batch) add(row Row, m *kgo.Record) {
	b.rows = append(b.rows, row)
	b.recs = append(b.recs, m)
	b.factRows = append(b.factRows, row)
	b.fresh = false
}

// keep leaves only the rows whose index keep reports true.
func (b *batch) keep(keep func(i int) bool) {
	n := 0
	for i := range b.rows {
		if keep(i) {
			b.rows[n], b.recs[n] = b.rows[i], b.recs[i]
			n++
		}
	}
	clear(b.rows[n:])
	clear(b.recs[n:])
	b.rows, b.recs = b.rows[:n], b.recs[:n]
}

func (b *batch) empty() bool { return len(b.last) == 0 }

// size is what counts toward the batch size: the records converted.
func (b *batch) size() int { return len(b.factRows) + len(b.dead) + len(b.engagements) }

// track records that m is part of the batch.
func (b *batch) track(m *kgo.Record) {
	tp := topicPartition{m.Topic, m.Partition}
	if prev, ok := b.last[tp]; !ok || m.Offset > prev {
		b.last[tp] = m.Offset
	}
}

// commits returns, per partition, the offset to commit: the one after the
// batch's highest (the next to read).
func (b *batch) commits() map[string]map[int32]kgo.EpochOffset {
	out := make(map[string]map[int32]kgo.EpochOffset)
	for tp, off := range b.last {
		if out[tp.topic] == nil {
			out[tp.topic] = make(map[int32]kgo.EpochOffset)
		}
		out[tp.topic][tp.partition] = kgo.EpochOffset{Epoch: -1, Offset: off + 1}
	}
	return out
}
