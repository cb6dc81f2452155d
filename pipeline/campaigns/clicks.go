package campaigns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/pipeline"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// DefaultClickTopic is the clicks topic's name unless configured.
const DefaultClickTopic = "tern.clicks"

// maxUserAgent bounds the User-Agent a click record keeps.
const maxUserAgent = 512

// Clicks records link clicks on the clicks topic (recordv1.Click, keyed
// by the code) without making the redirect wait: records are produced in
// the background, and when the buffer is full (Kafka away) a click is
// dropped and counted rather than held. Safe for concurrent use.
type Clicks struct {
	cl      *kgo.Client
	log     *slog.Logger
	dropped atomic.Int64
	failed  atomic.Int64
}

// NewClicks returns a recorder producing to topic with c's brokers and
// security settings.
func NewClicks(c pipeline.KafkaConfig, topic string, log *slog.Logger) (*Clicks, error) {
	if len(c.Brokers) == 0 || topic == "" {
		return nil, errors.New("clicks: brokers and a topic are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.MaxBufferedRecords(100_000),
		kgo.RecordDeliveryTimeout(time.Minute),
	}
	cl, err := kgo.NewClient(append(opts, c.ClientOpts()...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka producer for %s: %w", topic, err)
	}
	return &Clicks{cl: cl, log: log}, nil
}

// Record queues one click for the topic.
func (c *Clicks) Record(t Target, code string, at time.Time, userAgent string) {
	if len(userAgent) > maxUserAgent {
		userAgent = userAgent[:maxUserAgent]
	}
	v, err := proto.Marshal(&recordv1.Click{TenantId: t.Tenant, CampaignId: t.CampaignID, ContactId: t.ContactID, MessageId: t.MessageID,
		Code: code, LinkIndex: int32(t.Index), Url: t.URL, ClickedAt: timestamppb.New(at), UserAgent: userAgent})
	if err != nil {
		c.failed.Add(1)
		return
	}
	c.cl.TryProduce(context.Background(), &kgo.Record{Key: []byte(code), Value: v, Timestamp: at}, func(_ *kgo.Record, err error) {
		if err == nil {
			return
		}
		if errors.Is(err, kgo.ErrMaxBuffered) {
			c.dropped.Add(1)
			return
		}
		c.failed.Add(1)
		c.log.Warn("click not recorded", "err", err)
	})
}

// Lost counts the clicks dropped for a full buffer and those Kafka did
// not take.
func (c *Clicks) Lost() (dropped, failed int64) { return c.dropped.Load(), c.failed.Load() }

// Close waits up to ten seconds for the clicks in flight, then closes the
// client.
func (c *Clicks) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.cl.Flush(ctx)
	c.cl.Close()
}

// EnsureClickTopic creates the clicks topic if it is missing: deleted
// after seven days (analytics keeps the clicks), partitions as given.
func EnsureClickTopic(ctx context.Context, c pipeline.KafkaConfig, topic string, partitions, replication int) error {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Brokers...)}, c.ClientOpts()...)...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = topic, int32(partitions), int16(replication)
	cfg := kmsg.NewCreateTopicsRequestTopicConfig()
	cfg.Name, cfg.Value = "retention.ms", kmsg.StringPtr("604800000")
	t.Configs = append(t.Configs, cfg)
	req.Topics = append(req.Topics, t)
	req.TimeoutMillis = 30_000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	for _, r := range resp.Topics {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", topic, err)
		}
	}
	return nil
}
