package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// eventWriter produces status events, keyed by message id, and returns
// once Kafka acknowledged them.
type eventWriter struct {
	w *producer
}

func newEventWriter(c KafkaConfig) (*eventWriter, error) {
	w, err := newProducer(c, c.Topics.Events, c.InternalBatchTimeout)
	if err != nil {
		return nil, err
	}
	return &eventWriter{w: w}, nil
}

func (e *eventWriter) write(ctx context.Context, evs ...*recordv1.Event) error {
	recs := make([]*kgo.Record, len(evs))
	for i, ev := range evs {
		v, err := proto.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		recs[i] = &kgo.Record{Key: []byte(ev.MessageId), Value: v}
	}
	if err := e.w.produce(ctx, recs, nil); err != nil {
		return fmt.Errorf("produce %d events: %w", len(recs), err)
	}
	return nil
}

func (e *eventWriter) close() error { return e.w.close() }

// submitEvent describes a message from its submit record at a new status.
// Its accepted_at is the record's own timestamp, shared, not copied.
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
		// For analytics' write-time enrichment: every event of the
		// message names its sender, price and acceptance.
		From:        rec.From,
		PriceMicros: rec.PriceMicros,
		Currency:    rec.Currency,
		AcceptedAt:  rec.AcceptedAt,
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
