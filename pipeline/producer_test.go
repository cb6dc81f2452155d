package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/pipeline/kafkatest"
)

// TestProducerPartitionsLikeJavaClient checks that the producer puts a
// key on the partition Kafka's default (murmur2) partitioner picks, here
// as kafka-go's Murmur2Balancer computes it: records keyed by recipient
// from any client using it share a partition, and so an actor, with
// tern's own.
func TestProducerPartitionsLikeJavaClient(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 16}.WithDefaults()
	if err := EnsureTopics(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	p, err := newProducer(cfg, cfg.Topics.Submit, cfg.BatchTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	recs := make([]*kgo.Record, 200)
	for i := range recs {
		recs[i] = &kgo.Record{Key: fmt.Appendf(nil, "+1415555%04d", i), Value: []byte("x")}
	}
	if err := p.produce(ctx, recs, nil); err != nil {
		t.Fatal(err)
	}
	parts := make([]int, cfg.Partitions)
	for i := range parts {
		parts[i] = i
	}
	used := map[int32]bool{}
	for _, r := range recs {
		want := (&kafka.Murmur2Balancer{}).Balance(kafka.Message{Key: r.Key}, parts...)
		if int(r.Partition) != want {
			t.Fatalf("key %s on partition %d, murmur2 says %d", r.Key, r.Partition, want)
		}
		used[r.Partition] = true
	}
	if len(used) < 8 {
		t.Fatalf("200 keys landed on only %d of 16 partitions", len(used))
	}
}
