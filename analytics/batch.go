package analytics

import "github.com/twmb/franz-go/pkg/kgo"

// batch is the rows on their way to one insert and, per partition, the
// highest offset they came from: committing those commits the whole batch.
type batch struct {
	rows []Row
	last map[topicPartition]int64
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
	clear(b.last)
}

func (b *batch) empty() bool { return len(b.last) == 0 }

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
