package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// ReceiptJoiner consumes the receipts topic, joins each receipt to its
// message through the durable carrier-id map (so a receipt may arrive at
// any instance, days later) and records final outcomes on the events
// topic. Receipts no message claims yet are kept in PostgreSQL and joined
// when their message's carrier ids are recorded; receipts that cannot be
// this submit's (a carrier reused the id) are parked until the id maps to
// another message (Outcome.Parked). A record that cannot be joined for
// good goes to the dead-letter topic (Isolated); the others go on.
type ReceiptJoiner struct {
	cfg     KafkaConfig
	store   *Store
	events  *eventWriter
	dead    *DeadLetterWriter
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
	if j.dead, err = NewDeadLetterWriter(j.cfg, j.metrics); err != nil {
		return err
	}
	defer j.dead.Close()
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

// receiptFromRecord reads a receipt record as the join uses it: text
// fields as StoredText keeps them, and the time it was received (the
// record's timestamp when the record does not say) to the microsecond,
// as PostgreSQL keeps it.
func receiptFromRecord(rec *recordv1.Receipt, recorded time.Time) carriers.Receipt {
	cr := carriers.Receipt{
		Carrier:  StoredText(rec.Carrier),
		ID:       StoredText(rec.CarrierMessageId),
		Status:   core.Status(rec.Status),
		State:    StoredText(rec.State),
		Err:      StoredText(rec.ErrorCode),
		Received: recorded,
	}
	if rec.DoneAt != nil && rec.DoneAt.IsValid() {
		cr.Done = rec.DoneAt.AsTime()
	}
	if rec.ReceivedAt != nil && rec.ReceivedAt.IsValid() {
		cr.Received = rec.ReceivedAt.AsTime()
	}
	if cr.Received.IsZero() {
		cr.Received = time.Now()
	}
	cr.Received = cr.Received.Truncate(time.Microsecond)
	return cr
}

// joinItem is one receipt to join and the record it came in; a kept
// receipt has no record.
type joinItem struct {
	r   carriers.Receipt
	rec *kgo.Record
}

// handle joins one batch of receipt records; it returns false if ctx ended
// before the batch's effects were durable. A record that does not decode
// is dead-lettered.
func (j *ReceiptJoiner) handle(ctx context.Context, msgs []*kgo.Record) bool {
	items := make([]joinItem, 0, len(msgs))
	for _, m := range msgs {
		rec := &recordv1.Receipt{}
		if err := proto.Unmarshal(m.Value, rec); err != nil {
			if !j.isolated(nil).GiveUp(ctx, joinItem{rec: m}, fmt.Errorf("undecodable receipt: %w", err)) {
				return false
			}
			continue
		}
		items = append(items, joinItem{r: receiptFromRecord(rec, m.Timestamp), rec: m})
	}
	return j.apply(ctx, items)
}

// rejoin applies kept receipts whose id now maps to a message. Claimed
// receipts are offered again if ctx ends before they are joined.
func (j *ReceiptJoiner) rejoin(ctx context.Context) bool {
	ks, err := j.store.claimKnownReceipts(ctx, receiptBatch)
	if err != nil {
		if ctx.Err() == nil {
			j.log.Warn("rejoin kept receipts", "err", err)
		}
		return ctx.Err() == nil
	}
	items := make([]joinItem, len(ks))
	for i, k := range ks {
		items[i] = joinItem{r: k.Receipt}
	}
	if j.apply(ctx, items) {
		return true
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := j.store.releaseKeptReceipts(rctx, ks); err != nil {
		j.log.Warn("offer kept receipts again", "receipts", len(ks), "err", err)
	}
	return false
}

// apply joins items and then writes the final events they brought; it
// returns false if ctx ended first.
func (j *ReceiptJoiner) apply(ctx context.Context, items []joinItem) bool {
	var evs []*recordv1.Event
	if !j.isolated(&evs).Run(ctx, items) {
		return false
	}
	return j.writeEvents(ctx, evs)
}

// isolated joins batches of items, adding the events of those joined to
// evs, and dead-letters the items that cannot be joined.
func (j *ReceiptJoiner) isolated(evs *[]*recordv1.Event) Isolated[joinItem] {
	return Isolated[joinItem]{
		Write: func(ctx context.Context, items []joinItem) error {
			got, err := j.join(ctx, items)
			if err == nil {
				*evs = append(*evs, got...)
			}
			return err
		},
		DeadLetter: j.deadLetter,
		Log:        j.log,
		What:       "receipts",
	}
}

// deadLetter puts it on the dead-letter topic: its record, or a kept
// receipt as a record of the receipts topic (partition and offset -1).
func (j *ReceiptJoiner) deadLetter(ctx context.Context, it joinItem, reason string) error {
	rec := it.rec
	if rec == nil {
		v, err := proto.Marshal(receiptRecord(it.r))
		if err != nil {
			return fmt.Errorf("encode receipt: %w", err)
		}
		rec = &kgo.Record{Topic: j.cfg.Topics.Receipts, Partition: -1, Offset: -1, Key: []byte(it.r.ID), Value: v}
	}
	return j.dead.DeadLetter(ctx, rec, reason)
}

// join joins items in one transaction, keeping unknown and parked
// receipts, and returns the final events to write.
func (j *ReceiptJoiner) join(ctx context.Context, items []joinItem) ([]*recordv1.Event, error) {
	rs := make([]carriers.Receipt, len(items))
	for i, it := range items {
		rs[i] = it.r
	}
	outs, err := j.store.joinReceipts(ctx, rs, true)
	if err != nil {
		return nil, err
	}
	var evs []*recordv1.Event
	var unknown, parked int
	now := time.Now()
	for i, o := range outs {
		r := rs[i]
		switch {
		case !o.Known:
			unknown++
			j.log.Debug("receipt kept for a later join", "carrier", r.Carrier, "carrier_message_id", r.ID, "state", r.State)
		case o.Parked:
			parked++
			j.log.Debug("receipt parked: its message has it settled or was submitted after it (a reused carrier id?)",
				"carrier", r.Carrier, "carrier_message_id", r.ID, "message_id", o.Ref.MessageID, "state", r.State)
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
	j.metrics.addUnknownReceipts(unknown)
	j.metrics.addParkedReceipts(parked)
	return evs, nil
}

// writeEvents writes evs, retrying until Kafka has them or ctx ends.
// The joins they come from have committed: if this process dies first,
// the receipts are read again, the join finds them applied already, and
// the events are written then.
func (j *ReceiptJoiner) writeEvents(ctx context.Context, evs []*recordv1.Event) bool {
	if len(evs) == 0 {
		return true
	}
	for attempt := 1; ; attempt++ {
		err := j.events.write(ctx, evs...)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return false
		}
		j.log.Warn("write receipt events", "attempt", attempt, "events", len(evs), "err", err)
		if !sleepCtx(ctx, DefaultBackoff.Delay(attempt)) {
			return false
		}
	}
	for _, ev := range evs {
		j.metrics.addFinal(core.Status(ev.Status))
	}
	return true
}
