package verify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// RecordsConfig says where VerifyEvent records go.
type RecordsConfig struct {
	Brokers []string
	// Topic is the verify topic, e.g. "tern.verify"; records are keyed by
	// tenant id.
	Topic string
	// ClientOpts are the Kafka client's security options (SASL, TLS), as
	// pipeline.KafkaConfig.ClientOpts gives them.
	ClientOpts []kgo.Opt
}

// Records puts VerifyEvent records on the verify topic for analytics
// (conversion rate, time to verify). They are produced asynchronously,
// after the verification's own write committed, so a verify call never
// waits for or fails with them; one Kafka did not take is logged and
// counted (tern_verify_records_dropped_total), not retried. A nil
// *Records records nothing.
type Records struct {
	cl      *kgo.Client
	log     *slog.Logger
	metrics *Metrics
}

// NewRecords returns Records producing to c's topic with acks=all.
func NewRecords(c RecordsConfig, log *slog.Logger, m *Metrics) (*Records, error) {
	if len(c.Brokers) == 0 || c.Topic == "" {
		return nil, errors.New("verify records: no brokers or no topic")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.DefaultProduceTopic(c.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.RecordDeliveryTimeout(10 * time.Second),
	}, c.ClientOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka producer for %s: %w", c.Topic, err)
	}
	return &Records{cl: cl, log: log, metrics: m}, nil
}

// Close waits up to 10 s for records in flight, then closes the client.
func (r *Records) Close() {
	if r == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.cl.Flush(ctx)
	r.cl.Close()
}

func (r *Records) emit(ev *recordv1.VerifyEvent) {
	if r == nil {
		return
	}
	v, err := proto.Marshal(ev)
	if err != nil {
		r.log.Error("encode verify event", "err", err)
		return
	}
	r.cl.Produce(context.Background(), &kgo.Record{Key: []byte(ev.TenantId), Value: v}, func(_ *kgo.Record, err error) {
		if err != nil {
			r.metrics.dropped()
			r.log.Warn("verify event not recorded", "kind", ev.Kind, "err", err)
		}
	})
}

// event describes v for analytics.
func event(v Verification, kind, outcome string, at time.Time) *recordv1.VerifyEvent {
	return &recordv1.VerifyEvent{TenantId: v.Tenant, VerificationId: v.ID, Kind: kind, Outcome: outcome, Region: v.Region, Prefix: v.Prefix,
		Channel: v.Channel, Locale: v.Locale, At: timestamppb.New(at), StartedAt: timestamppb.New(v.Created),
		Checks: int32(v.Checks), Sends: int32(v.Sends), MessageId: v.MessageID}
}

// refusedEvent describes a start refused (or a prefix blocked) before
// any verification existed.
func refusedEvent(st start, kind, outcome string) *recordv1.VerifyEvent {
	return &recordv1.VerifyEvent{TenantId: st.Tenant, Kind: kind, Outcome: outcome, Region: st.number.Region, Prefix: st.prefix,
		Channel: ChannelSMS, Locale: st.language, At: timestamppb.New(st.now)}
}

// refuse counts and records a refused start and returns err.
func (s *Service) refuse(st start, reason string, err error) error {
	s.metrics.refused(reason)
	s.records.emit(refusedEvent(st, "refused", reason))
	return err
}

// EnsureTopic creates the verify topic if it is missing: keyed by tenant
// id, deleted (not compacted) after the broker's retention.
func EnsureTopic(ctx context.Context, c RecordsConfig, partitions, replication int) error {
	if len(c.Brokers) == 0 || c.Topic == "" {
		return errors.New("verify records: no brokers or no topic")
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Brokers...)}, c.ClientOpts...)...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = c.Topic, int32(partitions), int16(replication)
	req.Topics, req.TimeoutMillis = append(req.Topics, t), 30_000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create topic %s: %w", c.Topic, err)
	}
	for _, r := range resp.Topics {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", c.Topic, err)
		}
	}
	return nil
}
