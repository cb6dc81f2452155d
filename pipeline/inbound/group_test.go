package inbound

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupCaughtUp tells whether group's committed offsets reach the end of
// every partition of topic.
func groupCaughtUp(ctx context.Context, cl *kgo.Client, group, topic string, partitions int) error {
	lo := kmsg.NewPtrListOffsetsRequest()
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = topic
	for p := range partitions {
		lp := kmsg.NewListOffsetsRequestTopicPartition()
		lp.Partition, lp.Timestamp = int32(p), -1
		lt.Partitions = append(lt.Partitions, lp)
	}
	lo.Topics = append(lo.Topics, lt)
	ends, err := lo.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	of := kmsg.NewPtrOffsetFetchRequest()
	of.Group = group
	ot := kmsg.NewOffsetFetchRequestTopic()
	ot.Topic = topic
	for p := range partitions {
		ot.Partitions = append(ot.Partitions, int32(p))
	}
	of.Topics = append(of.Topics, ot)
	committed, err := of.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	got := map[int32]int64{}
	for _, t := range committed.Topics {
		for _, p := range t.Partitions {
			got[p.Partition] = p.Offset
		}
	}
	for _, t := range ends.Topics {
		for _, p := range t.Partitions {
			if p.Offset > 0 && got[p.Partition] < p.Offset {
				return fmt.Errorf("group %s at %d of %d on partition %d", group, got[p.Partition], p.Offset, p.Partition)
			}
		}
	}
	return nil
}

// createTopic creates topic with partitions, as pipeline.EnsureTopics will
// once the replies topic is one of tern's.
func createTopic(ctx context.Context, brokers []string, topic string, partitions int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = topic, int32(partitions), 1
	req.Topics = append(req.Topics, t)
	_, err = req.RequestWith(ctx, cl)
	return err
}
