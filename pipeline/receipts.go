package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// ReceiptSink makes carrier receipts durable: Handle returns only after
// the receipt is on the receipts topic, so a carrier connection can
// acknowledge the receipt to the carrier safely. Use Handle as the
// carrier's receipt handler.
type ReceiptSink struct {
	w *kafka.Writer
}

// NewReceiptSink returns a sink producing to c's receipts topic.
func NewReceiptSink(c KafkaConfig) *ReceiptSink {
	c = c.WithDefaults()
	return &ReceiptSink{w: &kafka.Writer{
		Addr:         kafka.TCP(c.Brokers...),
		Topic:        c.Topics.Receipts,
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: c.BatchTimeout,
		BatchSize:    1000,
		WriteTimeout: 10 * time.Second,
	}}
}

// Handle produces r to the receipts topic and waits for the ack.
func (s *ReceiptSink) Handle(ctx context.Context, r carriers.Receipt) error {
	rec := &recordv1.Receipt{
		Carrier:          r.Carrier,
		CarrierMessageId: r.ID,
		Status:           ternv1.Status(r.Status),
		State:            r.State,
		ErrorCode:        r.Err,
		ReceivedAt:       timestamppb.Now(),
	}
	if !r.Done.IsZero() {
		rec.DoneAt = timestamppb.New(r.Done)
	}
	v, err := proto.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode receipt: %w", err)
	}
	if err := s.w.WriteMessages(ctx, kafka.Message{Key: []byte(r.ID), Value: v}); err != nil {
		return fmt.Errorf("produce receipt: %w", err)
	}
	return nil
}

// Close flushes and closes the producer.
func (s *ReceiptSink) Close() error { return s.w.Close() }

// ReceiptJoiner consumes the receipts topic, joins each receipt to its
// message and records final outcomes on the events topic.
type ReceiptJoiner struct {
	cfg    KafkaConfig
	join   Joiner
	events *eventWriter
	log    *slog.Logger
	// wait is how long a receipt for an unknown id is retried before it is
	// reported: a receipt can overtake the record of its submit.
	wait time.Duration

	unknown atomic.Int64
}

// NewReceiptJoiner returns a joiner reading c's receipts topic.
func NewReceiptJoiner(c KafkaConfig, join Joiner, log *slog.Logger) *ReceiptJoiner {
	c = c.WithDefaults()
	if log == nil {
		log = slog.Default()
	}
	return &ReceiptJoiner{cfg: c, join: join, events: newEventWriter(c), log: log, wait: 30 * time.Second}
}

// Unknown returns how many receipts matched no message.
func (j *ReceiptJoiner) Unknown() int64 { return j.unknown.Load() }

// parked is a receipt whose message was not known yet.
type parked struct {
	r     carriers.Receipt
	since time.Time
	next  time.Time
	tries int
}

// Run joins receipts until ctx ends. A receipt that overtook the record
// of its submit is parked and retried for a while, without holding up
// the receipts behind it.
func (j *ReceiptJoiner) Run(ctx context.Context) error {
	defer j.events.close()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:           j.cfg.Brokers,
		GroupID:           j.cfg.ReceiptsGroupID,
		Topic:             j.cfg.Topics.Receipts,
		MinBytes:          1,
		MaxBytes:          4 << 20,
		MaxWait:           250 * time.Millisecond,
		StartOffset:       kafka.FirstOffset,
		HeartbeatInterval: time.Second,
		SessionTimeout:    10 * time.Second,
		CommitInterval:    200 * time.Millisecond,
	})
	defer r.Close()
	var waiting []parked
	for {
		waiting = j.retryParked(ctx, waiting)
		fctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		m, err := r.FetchMessage(fctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, context.DeadlineExceeded) {
			continue
		}
		if err != nil {
			j.log.Warn("fetch receipt", "err", err)
			if !sleepCtx(ctx, time.Second) {
				return nil
			}
			continue
		}
		rec := &recordv1.Receipt{}
		if err := proto.Unmarshal(m.Value, rec); err != nil {
			j.log.Error("undecodable receipt record skipped", "partition", m.Partition, "offset", m.Offset, "err", err)
		} else {
			cr := receiptFromRecord(rec)
			switch err := j.apply(ctx, cr); {
			case errors.Is(err, ErrUnknownReceipt):
				now := time.Now()
				waiting = append(waiting, parked{r: cr, since: now, next: now.Add(DefaultBackoff.Delay(1)), tries: 1})
			case err != nil:
				return nil // ctx ended; the receipt stays uncommitted
			}
		}
		if err := r.CommitMessages(ctx, m); err != nil && ctx.Err() == nil {
			j.log.Warn("commit receipt", "err", err)
		}
	}
}

func receiptFromRecord(rec *recordv1.Receipt) carriers.Receipt {
	cr := carriers.Receipt{
		Carrier: rec.Carrier,
		ID:      rec.CarrierMessageId,
		Status:  core.Status(rec.Status),
		State:   rec.State,
		Err:     rec.ErrorCode,
	}
	if rec.DoneAt != nil {
		cr.Done = rec.DoneAt.AsTime()
	}
	return cr
}

// retryParked retries the parked receipts that are due and returns those
// still waiting. Receipts parked longer than the joiner's wait are
// reported as unknown.
func (j *ReceiptJoiner) retryParked(ctx context.Context, waiting []parked) []parked {
	now := time.Now()
	kept := waiting[:0]
	for _, p := range waiting {
		if now.Before(p.next) {
			kept = append(kept, p)
			continue
		}
		err := j.apply(ctx, p.r)
		switch {
		case err == nil:
		case errors.Is(err, ErrUnknownReceipt) && now.Sub(p.since) < j.wait:
			p.tries++
			p.next = now.Add(DefaultBackoff.Delay(p.tries))
			kept = append(kept, p)
		case errors.Is(err, ErrUnknownReceipt):
			j.unknown.Add(1)
			j.log.Warn("receipt for unknown message", "carrier", p.r.Carrier, "carrier_message_id", p.r.ID, "state", p.r.State)
		default:
			kept = append(kept, p)
		}
	}
	return kept
}

// apply joins one receipt and records a final outcome. It returns
// ErrUnknownReceipt for an id not recorded yet, and ctx's error if ctx
// ended before the outcome was recorded.
func (j *ReceiptJoiner) apply(ctx context.Context, cr carriers.Receipt) error {
	for attempt := 1; ; attempt++ {
		out, err := j.join.Apply(ctx, cr)
		if errors.Is(err, ErrUnknownReceipt) {
			return err
		}
		if err != nil {
			j.log.Error("join receipt", "carrier", cr.Carrier, "carrier_message_id", cr.ID, "err", err)
			if !sleepCtx(ctx, DefaultBackoff.Delay(attempt)) {
				return ctx.Err()
			}
			continue
		}
		if !out.Changed {
			return nil
		}
		ev := refEvent(out.Ref, out.Status, time.Now())
		ev.ErrorCode = out.ErrorCode
		ev.CarrierMessageId = cr.ID
		if out.Status != core.StatusDelivered {
			ev.Reason = fmt.Sprintf("carrier reported %s", cr.State)
		}
		for a := 1; ; a++ {
			err := j.events.write(ctx, ev)
			if err == nil {
				return nil
			}
			j.log.Warn("produce event", "attempt", a, "err", err)
			if !sleepCtx(ctx, DefaultBackoff.Delay(a)) {
				return ctx.Err()
			}
		}
	}
}
