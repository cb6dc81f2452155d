package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DeadLetterWriter puts records a consumer gives up on (the receipt
// joiner, the SMPP gateway's feed, the analytics writer) on the
// dead-letter topic, unchanged, with the reason and where they came from
// in the headers deadLetters writes: `tern dlq list` shows them and `tern
// dlq replay` puts them back on their source topic. Safe for concurrent
// use.
type DeadLetterWriter struct {
	w       *producer
	metrics *Metrics
}

// NewDeadLetterWriter returns a writer to c's dead-letter topic that
// counts what it writes in m (which may be nil).
func NewDeadLetterWriter(c KafkaConfig, m *Metrics) (*DeadLetterWriter, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	w, err := newProducer(c, c.Topics.DLQ, c.BatchTimeout)
	if err != nil {
		return nil, err
	}
	return &DeadLetterWriter{w: w, metrics: m}, nil
}

// DeadLetter writes rec with reason and returns once Kafka has it. rec's
// topic, partition and offset are its source; a record that never was on
// a topic (a kept receipt) has partition and offset -1.
func (d *DeadLetterWriter) DeadLetter(ctx context.Context, rec *kgo.Record, reason string) error {
	dl := &kgo.Record{Key: rec.Key, Value: rec.Value, Headers: []kgo.RecordHeader{
		{Key: hdrReason, Value: []byte(reason)},
		{Key: hdrSourceTopic, Value: []byte(rec.Topic)},
		{Key: hdrSourcePartition, Value: []byte(strconv.Itoa(int(rec.Partition)))},
		{Key: hdrSourceOffset, Value: []byte(strconv.FormatInt(rec.Offset, 10))},
		{Key: hdrDeadLetteredAt, Value: []byte(time.Now().UTC().Format(time.RFC3339Nano))},
	}}
	if err := d.w.produceOne(ctx, dl); err != nil {
		return fmt.Errorf("dead-letter %s record: %w", rec.Topic, err)
	}
	d.metrics.addRecordDeadLettered(rec.Topic)
	return nil
}

// Close flushes and closes the writer.
func (d *DeadLetterWriter) Close() error { return d.w.close() }
