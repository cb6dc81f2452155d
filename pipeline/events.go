package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// eventWriter produces status events, keyed by message id, and returns
// once Kafka acknowledged them.
type eventWriter struct {
	w *kafka.Writer
}

func newEventWriter(c KafkaConfig) *eventWriter {
	return &eventWriter{w: &kafka.Writer{
		Addr:         kafka.TCP(c.Brokers...),
		Topic:        c.Topics.Events,
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: c.InternalBatchTimeout,
		BatchSize:    1000,
		WriteTimeout: 10 * time.Second,
		MaxAttempts:  10,
	}}
}

func (e *eventWriter) write(ctx context.Context, evs ...*recordv1.Event) error {
	msgs := make([]kafka.Message, len(evs))
	for i, ev := range evs {
		v, err := proto.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		msgs[i] = kafka.Message{Key: []byte(ev.MessageId), Value: v}
	}
	if err := e.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("produce %d events: %w", len(msgs), err)
	}
	return nil
}

func (e *eventWriter) close() error { return e.w.Close() }

// submitEvent describes a message from its submit record at a new status.
func submitEvent(rec *recordv1.Submit, s core.Status, at time.Time) *recordv1.Event {
	return &recordv1.Event{
		MessageId:  rec.Id,
		TenantId:   rec.TenantId,
		CampaignId: rec.CampaignId,
		Status:     ternv1.Status(s),
		Time:       timestamppb.New(at),
		To:         rec.To,
		Region:     rec.Region,
		Segments:   rec.Segments,
		Category:   rec.Category,
		Encoding:   rec.Encoding,
		Origin:     rec.Origin,
	}
}

// refEvent describes a message known by its join Ref at a new status.
func refEvent(ref Ref, s core.Status, at time.Time) *recordv1.Event {
	return &recordv1.Event{
		MessageId:  ref.MessageID,
		TenantId:   ref.TenantID,
		CampaignId: ref.CampaignID,
		Status:     ternv1.Status(s),
		Time:       timestamppb.New(at),
		To:         ref.To,
		Region:     ref.Region,
		Segments:   int32(ref.Parts),
		Carrier:    ref.Carrier,
		Category:   ternv1.Category(ref.Category),
		Encoding:   ternv1.Encoding(ref.Encoding),
		Origin:     ref.Origin,
	}
}
