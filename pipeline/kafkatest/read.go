package kafkatest

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ReadAll returns every record on topics at the time of the call: it
// notes each partition's end offset, then reads from the start until it
// reaches them all, however long the broker takes (up to a minute).
func ReadAll(t testing.TB, brokers []string, topics ...string) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatalf("kafka: %v", err)
	}
	defer cl.Close()
	ends := endOffsets(t, ctx, cl, topics)
	offsets := map[string]map[int32]kgo.Offset{}
	left := 0
	for topic, ps := range ends {
		offsets[topic] = map[int32]kgo.Offset{}
		for p, end := range ps {
			if end > 0 {
				offsets[topic][p] = kgo.NewOffset().AtStart()
				left++
			}
		}
	}
	if left == 0 {
		return nil
	}
	rd, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumePartitions(offsets))
	if err != nil {
		t.Fatalf("kafka: %v", err)
	}
	defer rd.Close()
	var out []*kgo.Record
	for left > 0 {
		fs := rd.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %v: %v", topics, ctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset >= ends[r.Topic][r.Partition] {
				return
			}
			out = append(out, r)
			if r.Offset == ends[r.Topic][r.Partition]-1 {
				left-- // the last before the end; a compacted gap would hide it
			}
		})
	}
	return out
}

// endOffsets returns the end offset of every partition of topics.
func endOffsets(t testing.TB, ctx context.Context, cl *kgo.Client, topics []string) map[string]map[int32]int64 {
	t.Helper()
	meta := kmsg.NewPtrMetadataRequest()
	for _, topic := range topics {
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(topic)
		meta.Topics = append(meta.Topics, mt)
	}
	mresp, err := meta.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("metadata of %v: %v", topics, err)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	for _, mt := range mresp.Topics {
		if err := kerr.ErrorForCode(mt.ErrorCode); err != nil {
			t.Fatalf("metadata of %s: %v", *mt.Topic, err)
		}
		lt := kmsg.NewListOffsetsRequestTopic()
		lt.Topic = *mt.Topic
		for _, p := range mt.Partitions {
			lp := kmsg.NewListOffsetsRequestTopicPartition()
			lp.Partition, lp.Timestamp = p.Partition, -1 // -1: the end
			lt.Partitions = append(lt.Partitions, lp)
		}
		req.Topics = append(req.Topics, lt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("end offsets of %v: %v", topics, err)
	}
	out := map[string]map[int32]int64{}
	for _, rt := range resp.Topics {
		out[rt.Topic] = map[int32]int64{}
		for _, p := range rt.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				t.Fatalf("end offset of %s/%d: %v", rt.Topic, p.Partition, err)
			}
			out[rt.Topic][p.Partition] = p.Offset
		}
	}
	return out
}
