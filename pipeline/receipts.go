package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// ReceiptSink makes what carriers send us durable: Handle and
// HandleInbound return only after the receipt or reply is in Kafka, so a
// carrier connection can acknowledge it to the carrier safely. Use them
// as the carrier's receipt and inbound handlers; both are safe for
// concurrent use.
type ReceiptSink struct {
	w  *producer // receipts topic, and MO records named by topic
	mo string    // MO topic
}

// NewReceiptSink returns a sink producing to c's receipts and MO topics.
func NewReceiptSink(c KafkaConfig) (*ReceiptSink, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	w, err := newProducer(c, c.Topics.Receipts, c.BatchTimeout)
	if err != nil {
		return nil, err
	}
	return &ReceiptSink{w: w, mo: c.Topics.MO}, nil
}

// HandleInbound produces a customer's reply to the MO topic and waits for
// the ack.
func (s *ReceiptSink) HandleInbound(ctx context.Context, in carriers.Inbound) error {
	rec := &recordv1.Inbound{Carrier: in.Carrier, From: in.From, To: in.To, Text: in.Text, ReceivedAt: timestamppb.Now()}
	if !in.Received.IsZero() {
		rec.ReceivedAt = timestamppb.New(in.Received)
	}
	v, err := proto.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode inbound: %w", err)
	}
	if err := s.w.produceOne(ctx, &kgo.Record{Topic: s.mo, Key: []byte(in.From), Value: v}); err != nil {
		return fmt.Errorf("produce inbound: %w", err)
	}
	return nil
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
	if err := s.w.produceOne(ctx, &kgo.Record{Key: []byte(r.ID), Value: v}); err != nil {
		return fmt.Errorf("produce receipt: %w", err)
	}
	return nil
}

// Close flushes and closes the producers.
func (s *ReceiptSink) Close() error { return s.w.close() }

// ReceiptJoiner consumes the receipts topic, joins each receipt to its
// message through the durable carrier-id map (so a receipt may arrive at
// any instance, days later) and records final outcomes on the events
// topic. Receipts no message claims yet are kept in PostgreSQL and joined
// when their message's carrier ids are recorded.
type ReceiptJoiner struct {
	cfg     KafkaConfig
	store   *Store
	events  *eventWriter
	log     *slog.Logger
	metrics *Metrics
	// sweep is how often kept receipts are tried again.
	sweep time.Duration
}

// receiptBatch is the most receipts joined in one transaction.
const receiptBatch = 500

// NewReceiptJoiner returns a joiner reading c's receipts topic.
func NewReceiptJoiner(c KafkaConfig, store *Store, m *Metrics, log *slog.Logger) *ReceiptJoiner {
	c = c.WithDefaults()
	if log == nil {
		log = slog.Default()
	}
	return &ReceiptJoiner{cfg: c, store: store, log: log, metrics: m, sweep: 250 * time.Millisecond}
}

// Run joins receipts until ctx ends.
func (j *ReceiptJoiner) Run(ctx context.Context) error {
	events, err := newEventWriter(j.cfg)
	if err != nil {
		return err
	}
	j.events = events
	defer j.events.close()
	r, err := NewGroupReader(j.cfg.Brokers, j.cfg.ReceiptsGroupID, []string{j.cfg.Topics.Receipts}, j.log, j.cfg.ClientOpts()...)
	if err != nil {
		return err
	}
	defer r.Close()
	lastSweep := time.Now()
	for {
		// Wait for receipts up to the sweep interval.
		recs := r.Next(ctx, receiptBatch, j.sweep)
		if ctx.Err() != nil {
			return nil
		}
		if len(recs) > 0 {
			if !j.handle(ctx, recs) {
				return nil
			}
			if err := r.Commit(ctx, recs); err != nil && ctx.Err() == nil {
				j.log.Warn("commit receipts", "err", err)
			}
		}
		if time.Since(lastSweep) >= j.sweep {
			lastSweep = time.Now()
			if !j.rejoin(ctx) {
				return nil
			}
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

// handle joins one batch of receipt records; it returns false if ctx ended
// before the batch's effects were durable.
func (j *ReceiptJoiner) handle(ctx context.Context, msgs []*kgo.Record) bool {
	rs := make([]carriers.Receipt, 0, len(msgs))
	for _, m := range msgs {
		rec := &recordv1.Receipt{}
		if err := proto.Unmarshal(m.Value, rec); err != nil {
			j.log.Error("undecodable receipt record skipped", "partition", m.Partition, "offset", m.Offset, "err", err)
			continue
		}
		rs = append(rs, receiptFromRecord(rec))
	}
	return j.apply(ctx, rs, true)
}

// rejoin applies kept receipts whose message is now known.
func (j *ReceiptJoiner) rejoin(ctx context.Context) bool {
	rs, err := j.store.claimKnownReceipts(ctx, receiptBatch)
	if err != nil {
		if ctx.Err() == nil {
			j.log.Warn("rejoin kept receipts", "err", err)
		}
		return ctx.Err() == nil
	}
	return j.apply(ctx, rs, false)
}

// apply joins rs, records completed messages' events and, when keep is
// set, keeps unknown receipts. Transient failures are retried until ctx
// ends.
func (j *ReceiptJoiner) apply(ctx context.Context, rs []carriers.Receipt, keep bool) bool {
	if len(rs) == 0 {
		return true
	}
	for attempt := 1; ; attempt++ {
		err := j.applyOnce(ctx, rs, keep)
		if err == nil {
			return true
		}
		j.log.Warn("join receipts", "attempt", attempt, "receipts", len(rs), "err", err)
		if !sleepCtx(ctx, DefaultBackoff.Delay(attempt)) {
			return false
		}
	}
}

func (j *ReceiptJoiner) applyOnce(ctx context.Context, rs []carriers.Receipt, keep bool) error {
	outs, err := j.store.applyReceipts(ctx, rs)
	if err != nil {
		return err
	}
	var evs []*recordv1.Event
	var unknown []carriers.Receipt
	now := time.Now()
	for i, o := range outs {
		r := rs[i]
		switch {
		case !o.Known:
			unknown = append(unknown, r)
		case o.Final:
			ev := refEvent(o.Ref, o.Status, now)
			ev.ErrorCode = o.ErrorCode
			ev.CarrierMessageId = r.ID
			if o.Status != core.StatusDelivered {
				ev.Reason = fmt.Sprintf("carrier reported %s", r.State)
			}
			evs = append(evs, ev)
		}
	}
	if keep && len(unknown) > 0 {
		if err := j.store.saveUnknownReceipts(ctx, unknown); err != nil {
			return err
		}
		j.metrics.addUnknownReceipts(len(unknown))
		for _, r := range unknown {
			j.log.Debug("receipt kept for a later join", "carrier", r.Carrier, "carrier_message_id", r.ID, "state", r.State)
		}
	}
	if len(evs) > 0 {
		// The join has committed. If this write fails, the batch is retried
		// (now or by the partition's next owner): the join then finds the
		// messages final and the events are written again.
		if err := j.events.write(ctx, evs...); err != nil {
			return err
		}
		for _, ev := range evs {
			j.metrics.addFinal(core.Status(ev.Status))
		}
	}
	return nil
}
