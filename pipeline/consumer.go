package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/ternsms/tern/carriers"
)

// Consumer runs the submit topic's consumer group: one actor goroutine per
// partition this instance is assigned, each handing its partition's
// messages to the carrier through the delivery ledger.
type Consumer struct {
	cfg     KafkaConfig
	carrier carriers.Carrier
	ledger  *Ledger
	events  *eventWriter
	log     *slog.Logger
	metrics *Metrics
	submit  time.Duration
	retry   Backoff
	window  int
	policy  InDoubtPolicy
	// slots bounds, across this instance's actors, the messages between
	// their ledger intent and their recorded answer — the most that can be
	// in doubt if the process dies. Sized to the carrier's own window.
	slots chan struct{}
}

// ConsumerOption configures a Consumer.
type ConsumerOption interface{ applyConsumer(*Consumer) }

type consumerOptionFunc func(*Consumer)

func (f consumerOptionFunc) applyConsumer(c *Consumer) { f(c) }

// WithConsumerLogger sets the consumer's logger.
func WithConsumerLogger(l *slog.Logger) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.log = l })
}

// WithSubmitTimeout bounds one carrier submit, including waiting for a
// usable connection. Default 30s.
func WithSubmitTimeout(d time.Duration) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.submit = d })
}

// WithRetry sets the backoff between attempts of a temporarily failed submit.
func WithRetry(b Backoff) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.retry = b })
}

// WithWindow bounds the messages each partition actor has fetched and not
// finished. Default 64.
func WithWindow(n int) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.window = n })
}

// WithInDoubtPolicy sets what happens to messages whose submit was in
// doubt. Default Resubmit.
func WithInDoubtPolicy(p InDoubtPolicy) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.policy = p })
}

// WithCarrierWindow bounds the submits this instance has between intent
// and recorded answer, over all partitions: the carrier connection's
// window × binds. It is also the most messages that can be in doubt after
// a crash. Default 100.
func WithCarrierWindow(n int) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.slots = make(chan struct{}, n) })
}

// WithMetrics records the consumer's metrics in m.
func WithMetrics(m *Metrics) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.metrics = m })
}

// NewConsumer returns a Consumer sending through carrier and recording
// every intent and answer in ledger.
func NewConsumer(c KafkaConfig, carrier carriers.Carrier, ledger *Ledger, opts ...ConsumerOption) (*Consumer, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	con := &Consumer{
		cfg:     c,
		carrier: carrier,
		ledger:  ledger,
		events:  newEventWriter(c),
		log:     slog.Default(),
		submit:  30 * time.Second,
		retry:   DefaultBackoff,
		window:  64,
	}
	for _, o := range opts {
		o.applyConsumer(con)
	}
	if con.window < 1 {
		return nil, fmt.Errorf("consumer window %d: want at least 1", con.window)
	}
	if con.slots == nil {
		con.slots = make(chan struct{}, 100)
	}
	if cap(con.slots) < 1 {
		return nil, errors.New("consumer carrier window: want at least 1")
	}
	return con, nil
}

// Run consumes until ctx ends. A partition lost in a rebalance is released
// only after its actor finished (or abandoned, uncommitted) the messages
// in hand.
func (c *Consumer) Run(ctx context.Context) error {
	defer c.events.close()
	g, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                c.cfg.GroupID,
		Brokers:           c.cfg.Brokers,
		Topics:            []string{c.cfg.Topics.Submit},
		StartOffset:       kafka.FirstOffset,
		HeartbeatInterval: time.Second,
		SessionTimeout:    10 * time.Second,
		RebalanceTimeout:  c.submit + 10*time.Second,
		JoinGroupBackoff:  time.Second,
	})
	if err != nil {
		return fmt.Errorf("consumer group %s: %w", c.cfg.GroupID, err)
	}
	var actors sync.WaitGroup
	defer actors.Wait()
	stop := context.AfterFunc(ctx, func() { g.Close() })
	defer stop()
	for {
		gen, err := g.Next(ctx)
		if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
			g.Close()
			return nil
		}
		if err != nil {
			c.log.Warn("consumer group join failed; retrying", "group", c.cfg.GroupID, "err", err)
			if !sleepCtx(ctx, time.Second) {
				return nil
			}
			continue
		}
		assigned := gen.Assignments[c.cfg.Topics.Submit]
		for _, pa := range assigned {
			a := newActor(c, gen, pa.ID, pa.Offset)
			actors.Add(1)
			gen.Start(func(gctx context.Context) {
				defer actors.Done()
				a.run(gctx)
			})
		}
		c.log.Info("partitions assigned", "generation", gen.ID, "partitions", len(assigned))
	}
}

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
