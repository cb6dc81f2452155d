package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// producer writes records with acks=all and answers a call only once
// Kafka acknowledged every record in it. Records of all partitions (and
// topics) bound for one broker share a produce request, and records
// produced while a request is in flight gather into the next one, so
// concurrent callers cost the broker a few large requests rather than one
// per partition batch. Keys map to partitions by murmur2, as in the Java
// client. Safe for concurrent use.
type producer struct {
	cl   *kgo.Client
	once sync.Once
	err  error
}

// produceTimeout bounds how long a record may wait for its ack, retries
// included, before its call fails.
const produceTimeout = 10 * time.Second

// newProducer returns a producer to c's brokers whose records wait up to
// linger for others to share their batch. Records with no topic go to
// topic.
func newProducer(c KafkaConfig, topic string, linger time.Duration) (*producer, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(linger),
		kgo.RecordDeliveryTimeout(produceTimeout),
		kgo.ProduceRequestTimeout(produceTimeout),
		kgo.ProducerBatchMaxBytes(4 << 20),
	}
	cl, err := kgo.NewClient(append(opts, c.ClientOpts()...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka producer for %s: %w", topic, err)
	}
	return &producer{cl: cl}, nil
}

// produce writes recs and waits for their acks. It returns the first
// failure; errs, when not nil, gets each record's own (nil once acked).
func (p *producer) produce(ctx context.Context, recs []*kgo.Record, errs []error) error {
	if len(recs) == 0 {
		return nil
	}
	res := p.cl.ProduceSync(ctx, recs...)
	var first error
	for i, r := range res {
		if errs != nil {
			errs[i] = r.Err
		}
		if r.Err != nil && first == nil {
			first = r.Err
		}
	}
	return first
}

// produceOne writes one record and waits for its ack.
func (p *producer) produceOne(ctx context.Context, r *kgo.Record) error {
	return p.cl.ProduceSync(ctx, r).FirstErr()
}

// close waits up to produceTimeout for records still in flight, then
// closes the client. Safe to call more than once.
func (p *producer) close() error {
	p.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), produceTimeout)
		defer cancel()
		if err := p.cl.Flush(ctx); errors.Is(err, context.DeadlineExceeded) {
			p.err = fmt.Errorf("kafka producer: records still unacknowledged after %s", produceTimeout)
		}
		p.cl.Close()
	})
	return p.err
}
