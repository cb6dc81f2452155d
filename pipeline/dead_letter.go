package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// Headers of a dead-letter record, besides the original key and value.
const (
	hdrReason          = "tern-dead-letter-reason"
	hdrSourceTopic     = "tern-source-topic"
	hdrSourcePartition = "tern-source-partition"
	hdrSourceOffset    = "tern-source-offset"
	hdrDeadLetteredAt  = "tern-dead-lettered-at"
)

// reasonDeadLettered is the reason of a message that could not be
// processed; the dead-letter record says why.
const reasonDeadLettered = "dead-lettered"

// deadLetters writes records that cannot be processed to the dead-letter
// topic, with the reason, so they are neither lost nor retried forever.
type deadLetters struct {
	w *producer
}

func newDeadLetters(c KafkaConfig) (*deadLetters, error) {
	w, err := newProducer(c, c.Topics.DLQ, c.BatchTimeout)
	if err != nil {
		return nil, err
	}
	return &deadLetters{w: w}, nil
}

func (d *deadLetters) send(ctx context.Context, m kafka.Message, reason string) error {
	dl := &kgo.Record{Key: m.Key, Value: m.Value, Headers: []kgo.RecordHeader{
		{Key: hdrReason, Value: []byte(reason)},
		{Key: hdrSourceTopic, Value: []byte(m.Topic)},
		{Key: hdrSourcePartition, Value: []byte(strconv.Itoa(m.Partition))},
		{Key: hdrSourceOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
		{Key: hdrDeadLetteredAt, Value: []byte(time.Now().UTC().Format(time.RFC3339Nano))},
	}}
	if err := d.w.produceOne(ctx, dl); err != nil {
		return fmt.Errorf("dead-letter: %w", err)
	}
	return nil
}

func (d *deadLetters) close() error { return d.w.close() }

// DeadLetter is one record on the dead-letter topic.
type DeadLetter struct {
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	Reason    string `json:"reason"`
	// MessageID is the message's id when the record is a submit or an
	// event and decodes far enough.
	MessageID       string    `json:"message_id,omitempty"`
	SourceTopic     string    `json:"source_topic"`
	SourcePartition int       `json:"source_partition"`
	SourceOffset    int64     `json:"source_offset"`
	At              time.Time `json:"at"`
	Key             []byte    `json:"-"`
	Value           []byte    `json:"-"`
}

// ListDeadLetters reads the whole dead-letter topic.
func ListDeadLetters(ctx context.Context, c KafkaConfig) ([]DeadLetter, error) {
	c = c.WithDefaults()
	conn, err := c.dialer().DialContext(ctx, "tcp", c.Brokers[0])
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	parts, err := conn.ReadPartitions(c.Topics.DLQ)
	conn.Close()
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	var out []DeadLetter
	for _, p := range parts {
		pc, err := c.dialer().DialLeader(ctx, "tcp", c.Brokers[0], c.Topics.DLQ, p.ID)
		if err != nil {
			return nil, fmt.Errorf("dead letters: %w", err)
		}
		first, last, err := pc.ReadOffsets()
		pc.Close()
		if err != nil {
			return nil, fmt.Errorf("dead letters: %w", err)
		}
		if first >= last {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: c.Brokers, Dialer: c.dialer(), Topic: c.Topics.DLQ, Partition: p.ID, MaxWait: 100 * time.Millisecond})
		r.SetOffset(first)
		for off := first; off < last; off++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("dead letters: partition %d offset %d: %w", p.ID, off, err)
			}
			out = append(out, deadLetterOf(m, c.Topics))
		}
		r.Close()
	}
	return out, nil
}

func deadLetterOf(m kafka.Message, topics Topics) DeadLetter {
	dl := DeadLetter{Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value}
	for _, h := range m.Headers {
		v := string(h.Value)
		switch h.Key {
		case hdrReason:
			dl.Reason = v
		case hdrSourceTopic:
			dl.SourceTopic = v
		case hdrSourcePartition:
			dl.SourcePartition, _ = strconv.Atoi(v)
		case hdrSourceOffset:
			dl.SourceOffset, _ = strconv.ParseInt(v, 10, 64)
		case hdrDeadLetteredAt:
			dl.At, _ = time.Parse(time.RFC3339Nano, v)
		}
	}
	switch dl.SourceTopic {
	case "", topics.Submit, topics.OTP, topics.Marketing:
		rec := &recordv1.Submit{}
		if proto.Unmarshal(m.Value, rec) == nil {
			dl.MessageID = rec.Id
		}
	case topics.Events:
		ev := &recordv1.Event{}
		if proto.Unmarshal(m.Value, ev) == nil {
			dl.MessageID = ev.MessageId
		}
	}
	return dl
}

// ReplayDeadLetters puts the dead letters keep selects back on their
// source topic, unchanged, and returns them. A replayed message keeps its
// id, so the ledger still sends it at most once.
func ReplayDeadLetters(ctx context.Context, c KafkaConfig, keep func(DeadLetter) bool) ([]DeadLetter, error) {
	c = c.WithDefaults()
	all, err := ListDeadLetters(ctx, c)
	if err != nil {
		return nil, err
	}
	var picked []DeadLetter
	var msgs []*kgo.Record
	for _, dl := range all {
		if !keep(dl) {
			continue
		}
		topic := dl.SourceTopic
		if topic == "" {
			topic = c.Topics.Submit
		}
		picked = append(picked, dl)
		msgs = append(msgs, &kgo.Record{Topic: topic, Key: dl.Key, Value: dl.Value})
	}
	if len(msgs) == 0 {
		return nil, ErrNothingToReplay
	}
	w, err := newProducer(c, c.Topics.Submit, c.BatchTimeout)
	if err != nil {
		return nil, err
	}
	defer w.close()
	if err := w.produce(ctx, msgs, nil); err != nil {
		return nil, fmt.Errorf("replay dead letters: %w", err)
	}
	return picked, nil
}
