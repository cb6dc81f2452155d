package consent

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TopicConfig says where the suppressions topic is.
type TopicConfig struct {
	Brokers []string
	// Topic is the suppressions topic, e.g. "tern.suppressions".
	Topic string
	// ClientOpts are added to every Kafka client's options: the
	// cluster's TLS and SASL (pipeline.KafkaConfig.ClientOpts).
	ClientOpts []kgo.Opt
}

// opts are the options of a client of c's brokers, with more.
func (c TopicConfig) opts(more ...kgo.Opt) []kgo.Opt {
	return append(append([]kgo.Opt{kgo.SeedBrokers(c.Brokers...)}, c.ClientOpts...), more...)
}

func (c TopicConfig) validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("consent: no kafka brokers")
	}
	if c.Topic == "" {
		return errors.New("consent: no suppressions topic")
	}
	return nil
}

// EnsureTopic creates the suppressions topic, compacted (the latest
// record of a key is its state), if it is missing.
func EnsureTopic(ctx context.Context, c TopicConfig, partitions, replication int) error {
	if err := c.validate(); err != nil {
		return err
	}
	cl, err := kgo.NewClient(c.opts()...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = c.Topic, int32(partitions), int16(replication)
	cfg := kmsg.NewCreateTopicsRequestTopicConfig()
	cfg.Name, cfg.Value = "cleanup.policy", kmsg.StringPtr("compact")
	t.Configs = append(t.Configs, cfg)
	req.Topics = append(req.Topics, t)
	req.TimeoutMillis = 30_000
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

// endOffsets returns the end offset of every partition of topic.
func endOffsets(ctx context.Context, cl *kgo.Client, topic string) (map[int32]int64, error) {
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	meta.Topics = append(meta.Topics, mt)
	mresp, err := meta.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	if len(mresp.Topics) != 1 {
		return nil, fmt.Errorf("metadata of %s: no such topic", topic)
	}
	if err := kerr.ErrorForCode(mresp.Topics[0].ErrorCode); err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = topic
	for _, p := range mresp.Topics[0].Partitions {
		lp := kmsg.NewListOffsetsRequestTopicPartition()
		lp.Partition, lp.Timestamp = p.Partition, -1 // -1: the end
		lt.Partitions = append(lt.Partitions, lp)
	}
	req.Topics = append(req.Topics, lt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	out := map[int32]int64{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("end offset of %s/%d: %w", topic, p.Partition, err)
			}
			out[p.Partition] = p.Offset
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("end offsets of %s: no partitions", topic)
	}
	return out, nil
}
