package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// EnsureTopics creates tern's topics if they are missing. Existing topics
// are left as they are, whatever their partition count.
func EnsureTopics(ctx context.Context, c KafkaConfig) error {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return err
	}
	if err := c.login(ctx); err != nil {
		return err
	}
	client := &kafka.Client{Addr: kafka.TCP(c.Brokers...), Transport: c.transport()}
	var req kafka.CreateTopicsRequest
	for _, t := range []string{c.Topics.Submit, c.Topics.OTP, c.Topics.Marketing, c.Topics.Events, c.Topics.Receipts, c.Topics.MO, c.Topics.DLQ,
		c.Topics.Suppressions, c.Topics.Replies, c.Topics.Verify, c.Topics.StoreEvents, c.Topics.FlowRuns, c.Topics.Attributions, c.Topics.Clicks} {
		tc := kafka.TopicConfig{
			Topic:             t,
			NumPartitions:     c.Partitions,
			ReplicationFactor: c.ReplicationFactor,
		}
		if t == c.Topics.Suppressions {
			// The latest record of a number's key is its state.
			tc.ConfigEntries = []kafka.ConfigEntry{{ConfigName: "cleanup.policy", ConfigValue: "compact"}}
		}
		if t == c.Topics.Clicks {
			// Analytics keeps the clicks.
			tc.ConfigEntries = []kafka.ConfigEntry{{ConfigName: "retention.ms", ConfigValue: "604800000"}}
		}
		req.Topics = append(req.Topics, tc)
	}
	resp, err := client.CreateTopics(ctx, &req)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	for topic, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", topic, err)
		}
	}
	return nil
}
