package gateway

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/pipeline"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// feedBatch is the most records applied at once.
const feedBatch = 500

// originPrefix starts the origin of every message the gateway took.
const originPrefix = "smpp/"

// DeadLetters takes the feed's records that cannot be recorded, with the
// reason: pipeline.DeadLetterWriter.
type DeadLetters interface {
	DeadLetter(ctx context.Context, rec *kgo.Record, reason string) error
}

// feed consumes the events and MO topics in the gateway's consumer group,
// so each record is handled by one instance: final statuses of gateway
// messages complete the receipt join, replies to accounts' numbers are
// queued. Offsets are committed once that is in PostgreSQL, or the record
// is on the dead-letter topic (WithDeadLetters, or a writer of its own to
// Config.Kafka's).
func (s *Server) feed(ctx context.Context) {
	r, err := pipeline.NewGroupReader(s.cfg.Kafka.Brokers, s.cfg.GroupID, []string{s.cfg.Kafka.Topics.Events, s.cfg.Kafka.Topics.MO}, s.log, s.cfg.Kafka.ClientOpts()...)
	if err != nil {
		s.log.Error("smpp gateway feed", "err", err)
		return
	}
	defer r.Close()
	dead := s.dead
	if dead == nil {
		w, err := pipeline.NewDeadLetterWriter(s.cfg.Kafka, nil)
		if err != nil {
			s.log.Error("smpp gateway feed", "err", err)
			return
		}
		defer w.Close()
		dead = w
	}
	for {
		msgs := r.Next(ctx, feedBatch, 250*time.Millisecond)
		if ctx.Err() != nil {
			return
		}
		if len(msgs) == 0 {
			continue
		}
		if !s.applyFeed(ctx, msgs, dead) {
			return
		}
		if err := r.Commit(ctx, msgs); err != nil && ctx.Err() == nil {
			s.log.Warn("smpp gateway commit", "err", err)
		}
	}
}

// feedItem is one record the feed records: a final status or a reply.
type feedItem struct {
	rec   *kgo.Record
	final *finalRecord
	mo    *moRecord
}

// applyFeed records one batch, retrying until it is done or ctx ends. A
// record that does not decode, or that PostgreSQL refuses for good, goes
// to dead with the reason (pipeline.Isolated); the others are recorded.
// Applying a batch again is harmless: a final status already joined
// finds no message and expires alone.
func (s *Server) applyFeed(ctx context.Context, msgs []*kgo.Record, dead DeadLetters) bool {
	b := pipeline.Isolated[feedItem]{
		Write: s.writeFeed,
		DeadLetter: func(ctx context.Context, it feedItem, reason string) error {
			return dead.DeadLetter(ctx, it.rec, reason)
		},
		Log:  s.log,
		What: "smpp gateway records",
	}
	var items []feedItem
	for _, m := range msgs {
		it, err := s.readFeed(m)
		if err != nil {
			if !b.GiveUp(ctx, feedItem{rec: m}, err) {
				return false
			}
			continue
		}
		if it.final != nil || it.mo != nil {
			items = append(items, it)
		}
	}
	return b.Run(ctx, items)
}

// readFeed decodes m: a final status of a gateway message, a reply, or
// neither (a record for others). Text from outside is kept as
// pipeline.StoredText has it.
func (s *Server) readFeed(m *kgo.Record) (feedItem, error) {
	it := feedItem{rec: m}
	switch m.Topic {
	case s.cfg.Kafka.Topics.Events:
		if foreignEvent(m.Value) {
			return it, nil
		}
		ev := &recordv1.Event{}
		if err := proto.Unmarshal(m.Value, ev); err != nil {
			return it, fmt.Errorf("undecodable event: %w", err)
		}
		st := core.Status(ev.Status)
		if !strings.HasPrefix(ev.Origin, originPrefix) || !st.Final() {
			return it, nil
		}
		done := m.Timestamp
		if ev.Time != nil {
			done = ev.Time.AsTime()
		}
		it.final = &finalRecord{messageID: pipeline.StoredText(ev.MessageId), status: st, errorCode: pipeline.StoredText(ev.ErrorCode), done: done}
	case s.cfg.Kafka.Topics.MO:
		in := &recordv1.Inbound{}
		if err := proto.Unmarshal(m.Value, in); err != nil {
			return it, fmt.Errorf("undecodable reply: %w", err)
		}
		at := m.Timestamp
		if in.ReceivedAt != nil {
			at = in.ReceivedAt.AsTime()
		}
		it.mo = &moRecord{from: smpp.AddressOf(pipeline.StoredText(in.From)), to: smpp.AddressOf(pipeline.StoredText(in.To)),
			text: pipeline.StoredText(in.Text), received: at}
	}
	return it, nil
}

// writeFeed records items' final statuses and replies.
func (s *Server) writeFeed(ctx context.Context, items []feedItem) error {
	var finals []finalRecord
	var mos []moRecord
	for _, it := range items {
		if it.final != nil {
			finals = append(finals, *it.final)
		}
		if it.mo != nil {
			mos = append(mos, *it.mo)
		}
	}
	accounts, err := s.store.recordFinals(ctx, finals)
	if err != nil {
		return err
	}
	s.queued(kindReceipt, accounts)
	if accounts, err = s.store.queueMO(ctx, mos); err != nil {
		return err
	}
	s.queued(kindMO, accounts)
	return nil
}

// eventOriginField is recordv1.Event's origin field number.
var eventOriginField = (&recordv1.Event{}).ProtoReflect().Descriptor().Fields().ByName("origin").Number()

// foreignEvent reports whether the encoded event certainly belongs to a
// message the gateway did not take, reading only its origin: most events
// are not the gateway's, and decoding each in full would cost more than
// the rest of the feed. Bytes that do not parse are not foreign: the full
// decode reports them.
func foreignEvent(b []byte) bool {
	gateway := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		if num == eventOriginField && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return false
			}
			gateway = bytes.HasPrefix(v, []byte(originPrefix)) // the last one counts
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return false
		}
		b = b[n:]
	}
	return !gateway
}
