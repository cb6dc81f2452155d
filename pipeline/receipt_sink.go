package pipeline

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/carriers"
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
// the ack. Bytes that are not UTF-8 become U+FFFD, as in Handle.
func (s *ReceiptSink) HandleInbound(ctx context.Context, in carriers.Inbound) error {
	rec := &recordv1.Inbound{Carrier: validUTF8(in.Carrier), From: validUTF8(in.From), To: validUTF8(in.To), Text: validUTF8(in.Text), ReceivedAt: timestamppb.Now()}
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

// Handle produces r to the receipts topic and waits for the ack. Bytes
// that are not UTF-8 in its fields become U+FFFD (a record's strings must
// be UTF-8); everything else, NUL included, goes as the carrier sent it.
func (s *ReceiptSink) Handle(ctx context.Context, r carriers.Receipt) error {
	rec := receiptRecord(r)
	if r.Received.IsZero() {
		rec.ReceivedAt = timestamppb.Now()
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

// receiptRecord is r as the receipts topic carries it.
func receiptRecord(r carriers.Receipt) *recordv1.Receipt {
	rec := &recordv1.Receipt{
		Carrier:          validUTF8(r.Carrier),
		CarrierMessageId: validUTF8(r.ID),
		Status:           ternv1.Status(r.Status),
		State:            validUTF8(r.State),
		ErrorCode:        validUTF8(r.Err),
	}
	if !r.Done.IsZero() {
		rec.DoneAt = timestamppb.New(r.Done)
	}
	if !r.Received.IsZero() {
		rec.ReceivedAt = timestamppb.New(r.Received)
	}
	return rec
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Close flushes and closes the producers.
func (s *ReceiptSink) Close() error { return s.w.close() }
