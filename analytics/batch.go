package analytics

import "github.com/segmentio/kafka-go"

// batch is the rows on their way to one insert and, per partition, the
// highest offset they came from: committing those commits the whole batch.
type batch struct {
	rows []Row
	last map[topicPartition]int64
}

type topicPartition struct {
	topic     string
	partition int
}

func newBatch() *batch {
	return &batch{last: make(map[topicPartition]int64)}
}

func (b *batch) empty() bool { return len(b.last) == 0 }

// track records that m is part of the batch.
func (b *batch) track(m kafka.Message) {
	tp := topicPartition{m.Topic, m.Partition}
	if prev, ok := b.last[tp]; !ok || m.Offset > prev {
		b.last[tp] = m.Offset
	}
}

// commits returns one message per partition carrying the highest offset,
// which is all kafka-go needs to commit.
func (b *batch) commits() []kafka.Message {
	out := make([]kafka.Message, 0, len(b.last))
	for tp, off := range b.last {
		out = append(out, kafka.Message{Topic: tp.topic, Partition: tp.partition, Offset: off})
	}
	return out
}
