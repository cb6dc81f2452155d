package gateway

import (
	"bytes"
	"context"
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

// feed consumes the events and MO topics in the gateway's consumer group,
// so each record is handled by one instance: final statuses of gateway
// messages complete the receipt join, replies to accounts' numbers are
// queued. Offsets are committed once that is in PostgreSQL.
func (s *Server) feed(ctx context.Context) {
	r, err := pipeline.NewGroupReader(s.cfg.Kafka.Brokers, s.cfg.GroupID, []string{s.cfg.Kafka.Topics.Events, s.cfg.Kafka.Topics.MO}, s.log, s.cfg.Kafka.ClientOpts()...)
	if err != nil {
		s.log.Error("smpp gateway feed", "err", err)
		return
	}
	defer r.Close()
	for {
		msgs := r.Next(ctx, feedBatch, 250*time.Millisecond)
		if ctx.Err() != nil {
			return
		}
		if len(msgs) == 0 {
			continue
		}
		if !s.applyFeed(ctx, msgs) {
			return
		}
		if err := r.Commit(ctx, msgs); err != nil && ctx.Err() == nil {
			s.log.Warn("smpp gateway commit", "err", err)
		}
	}
}

// applyFeed records one batch, retrying until it is done or ctx ends.
// Applying a batch again is harmless: a final status already joined
// finds no message and expires alone.
func (s *Server) applyFeed(ctx context.Context, msgs []*kgo.Record) bool {
	var finals []finalRecord
	var mos []moRecord
	for _, m := range msgs {
		switch m.Topic {
		case s.cfg.Kafka.Topics.Events:
			if foreignEvent(m.Value) {
				continue
			}
			ev := &recordv1.Event{}
			if err := proto.Unmarshal(m.Value, ev); err != nil {
				s.log.Error("undecodable event skipped", "partition", m.Partition, "offset", m.Offset, "err", err)
				continue
			}
			st := core.Status(ev.Status)
			if !strings.HasPrefix(ev.Origin, originPrefix) || !st.Final() {
				continue
			}
			done := m.Timestamp
			if ev.Time != nil {
				done = ev.Time.AsTime()
			}
			finals = append(finals, finalRecord{messageID: ev.MessageId, status: st, errorCode: ev.ErrorCode, done: done})
		case s.cfg.Kafka.Topics.MO:
			in := &recordv1.Inbound{}
			if err := proto.Unmarshal(m.Value, in); err != nil {
				s.log.Error("undecodable reply skipped", "partition", m.Partition, "offset", m.Offset, "err", err)
				continue
			}
			at := m.Timestamp
			if in.ReceivedAt != nil {
				at = in.ReceivedAt.AsTime()
			}
			mos = append(mos, moRecord{from: smpp.AddressOf(in.From), to: smpp.AddressOf(in.To), text: in.Text, received: at})
		}
	}
	for attempt := 1; ; attempt++ {
		accounts, err := s.store.recordFinals(ctx, finals)
		if err == nil {
			s.queued(kindReceipt, accounts)
			accounts, err = s.store.queueMO(ctx, mos)
			if err == nil {
				s.queued(kindMO, accounts)
				return true
			}
			finals = nil // joined already
		}
		s.log.Warn("smpp gateway records", "attempt", attempt, "err", err)
		t := time.NewTimer(pipeline.DefaultBackoff.Delay(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
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
