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

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/msgid"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// MaxBatch is the most requests one Send call takes.
const MaxBatch = 1000

// Result is the outcome of one Request: an accepted message or an error.
type Result struct {
	ID       string
	Status   core.Status
	Segments int
	Encoding gsm.Encoding
	Err      error
}

// Intake validates requests and produces them to the submit topic. It
// answers only after Kafka acknowledged every record (acks=all). Every
// front door shares it. Safe for concurrent use.
type Intake struct {
	w      *kafka.Writer
	ids    *msgid.Issuer
	now    func() time.Time
	log    *slog.Logger
	closed atomic.Bool
}

// IntakeOption configures an Intake.
type IntakeOption interface{ applyIntake(*Intake) }

type intakeOptionFunc func(*Intake)

func (f intakeOptionFunc) applyIntake(in *Intake) { f(in) }

// WithIntakeLogger sets the intake's logger.
func WithIntakeLogger(l *slog.Logger) IntakeOption {
	return intakeOptionFunc(func(in *Intake) { in.log = l })
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) IntakeOption {
	return intakeOptionFunc(func(in *Intake) { in.now = now })
}

// NewIntake returns an Intake producing to c's submit topic with ids from ids.
func NewIntake(c KafkaConfig, ids *msgid.Issuer, opts ...IntakeOption) (*Intake, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	in := &Intake{ids: ids, now: time.Now, log: slog.Default()}
	for _, o := range opts {
		o.applyIntake(in)
	}
	in.w = &kafka.Writer{
		Addr:         kafka.TCP(c.Brokers...),
		Topic:        c.Topics.Submit,
		Balancer:     &kafka.Murmur2Balancer{}, // same key -> partition mapping as Java clients
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: c.BatchTimeout,
		BatchSize:    1000,
		BatchBytes:   4 << 20,
		WriteTimeout: 10 * time.Second,
		MaxAttempts:  5,
	}
	return in, nil
}

// Send validates and queues reqs, filling one Result per request in out
// (len(out) must equal len(reqs)). Items fail on their own: an invalid
// request gets a *FieldError, the others are still queued. It returns an
// error only when it could not try at all.
func (in *Intake) Send(ctx context.Context, reqs []Request, out []Result) error {
	if in.closed.Load() {
		return ErrClosed
	}
	if len(out) != len(reqs) {
		return fmt.Errorf("send: %d results for %d requests", len(out), len(reqs))
	}
	if len(reqs) > MaxBatch {
		return &FieldError{"messages", fmt.Sprintf("more than %d in one batch", MaxBatch)}
	}
	msgs := make([]kafka.Message, 0, len(reqs))
	idx := make([]int, 0, len(reqs)) // msgs[i] belongs to out[idx[i]]
	now := in.now()
	for i, r := range reqs {
		c, err := check(r)
		if err != nil {
			out[i] = Result{Err: err}
			continue
		}
		id := in.ids.New(r.TenantID, now)
		rec := &recordv1.Submit{
			Id:         id,
			TenantId:   r.TenantID,
			To:         c.to.E164,
			From:       r.From,
			Body:       r.Body,
			CampaignId: r.CampaignID,
			Category:   ternv1.Category(c.Category),
			Segments:   int32(c.info.Segments),
			Encoding:   ternv1.Encoding(c.info.Encoding),
			AcceptedAt: timestamppb.New(now),
			Region:     c.to.Region,
		}
		value, err := proto.Marshal(rec)
		if err != nil {
			out[i] = Result{Err: fmt.Errorf("encode submit record: %w", err)}
			continue
		}
		msgs = append(msgs, kafka.Message{Key: []byte(c.to.E164), Value: value, Time: now})
		idx = append(idx, i)
		out[i] = Result{ID: id, Status: core.StatusQueued, Segments: c.info.Segments, Encoding: c.info.Encoding}
	}
	if len(msgs) == 0 {
		return nil
	}
	err := in.w.WriteMessages(ctx, msgs...)
	if err == nil {
		return nil
	}
	var werrs kafka.WriteErrors
	if errors.As(err, &werrs) && len(werrs) == len(msgs) {
		for j, e := range werrs {
			if e != nil {
				out[idx[j]] = Result{Err: fmt.Errorf("%w: %w", ErrQueueUnavailable, e)}
			}
		}
		return nil
	}
	for _, i := range idx {
		out[i] = Result{Err: fmt.Errorf("%w: %w", ErrQueueUnavailable, err)}
	}
	in.log.Warn("produce failed", "records", len(msgs), "err", err)
	return nil
}

// Close flushes and closes the producer. Idempotent.
func (in *Intake) Close() error {
	if in.closed.Swap(true) {
		return nil
	}
	return in.w.Close()
}
