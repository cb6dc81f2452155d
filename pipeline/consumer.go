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
	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/core/quiet"
)

// Picker chooses the carrier for a destination; carriers/router's Router
// is one, OneCarrier another.
type Picker interface {
	// Pick returns the carrier to try now, carriers.ErrNoRoute when none is
	// configured for to, or an error wrapping carriers.ErrUnavailable when
	// every configured one is down (the caller waits and picks again).
	Pick(to string) (carriers.Carrier, error)
}

// OneCarrier is a Picker sending everything through one carrier.
type OneCarrier struct{ carriers.Carrier }

// Pick implements Picker.
func (o OneCarrier) Pick(string) (carriers.Carrier, error) { return o.Carrier, nil }

// Consumer runs the submit topics' consumer group: one actor goroutine per
// partition of each lane (OTP, transactional, marketing) this instance is
// assigned, each handing its partition's messages to a carrier through
// the delivery ledger.
type Consumer struct {
	cfg       KafkaConfig
	picker    Picker
	ledger    *Ledger
	events    *eventWriter
	dlq       *deadLetters
	deferrals *batcher[deferral, bool] // one per Run
	log       *slog.Logger
	metrics   *Metrics
	submit    time.Duration
	retry     Backoff
	window    int
	policies  map[string]InDoubtPolicy
	limits    *Limits
	quiet     func(tenant string) *quiet.Policy
	consent   ConsentRules
	campaigns CampaignHolds
	phones    *phone.Cache
	now       func() time.Time
	// slots bounds, across this instance's actors, the messages between
	// their ledger intent and their answer's place in the ledger queue, and
	// so the intents without an answer at any commit — the most that can be
	// in doubt if the process dies. Sized to the carrier's own window
	// (carrierWindow); a free one goes to the most urgent message waiting.
	slots         *carrierSlots
	carrierWindow int
	// runners run the actors' deliveries; one set per Run.
	runners *runners
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

// WithInDoubtPolicies sets, per carrier name, what happens to messages
// whose submit to it was in doubt. Carriers not named resubmit.
func WithInDoubtPolicies(p map[string]InDoubtPolicy) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.policies = p })
}

// WithLimits applies per-tenant and per-sender rate limits.
func WithLimits(l *Limits) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.limits = l })
}

// WithQuietHours holds marketing messages outside the recipient's sending
// window, per tenant's policy.
func WithQuietHours(p func(tenant string) *quiet.Policy) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.quiet = p })
}

// WithConsumerPhones parses recipients (for quiet hours) through c,
// shared with the rest of the instance. Default: a cache of its own.
func WithConsumerPhones(phones *phone.Cache) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.phones = phones })
}

// WithCarrierWindow bounds the submits this instance has between intent
// and queued answer, over all partitions: the carrier connection's
// window × binds. It is also the most messages that can be in doubt after
// a crash. Default 100.
func WithCarrierWindow(n int) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.carrierWindow = n })
}

// WithMetrics records the consumer's metrics in m.
func WithMetrics(m *Metrics) ConsumerOption {
	return consumerOptionFunc(func(c *Consumer) { c.metrics = m })
}

// NewConsumer returns a Consumer sending through the carriers picker
// picks and recording every intent and answer in ledger.
func NewConsumer(c KafkaConfig, picker Picker, ledger *Ledger, opts ...ConsumerOption) (*Consumer, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	con := &Consumer{
		cfg:    c,
		picker: picker,
		ledger: ledger,
		log:    slog.Default(),
		submit: 30 * time.Second,
		retry:  DefaultBackoff,
		window: 64,
		now:    time.Now,

		carrierWindow: 100,
	}
	for _, o := range opts {
		o.applyConsumer(con)
	}
	if con.phones == nil {
		con.phones = phone.NewCache(100_000)
	}
	if con.window < 1 {
		return nil, fmt.Errorf("consumer window %d: want at least 1", con.window)
	}
	if con.carrierWindow < 1 {
		return nil, fmt.Errorf("consumer carrier window %d: want at least 1", con.carrierWindow)
	}
	con.slots = newCarrierSlots(con.carrierWindow)
	return con, nil
}

// Run consumes until ctx ends. A partition lost in a rebalance is released
// only after its actor finished (or abandoned, uncommitted) the messages
// in hand.
func (c *Consumer) Run(ctx context.Context) error {
	events, err := newEventWriter(c.cfg)
	if err != nil {
		return err
	}
	c.events = events
	defer c.events.close()
	dlq, err := newDeadLetters(c.cfg)
	if err != nil {
		return err
	}
	c.dlq = dlq
	defer c.dlq.close()
	// Deferrals are batched across the actors; a batch one message's
	// values fail is written again message by message.
	c.deferrals = newBatcher(ledgerBatch, splitting(c.ledger.s.execDefer))
	bctx, stopBatcher := context.WithCancel(context.WithoutCancel(ctx))
	batcherDone := make(chan struct{})
	go func() { c.deferrals.run(bctx); close(batcherDone) }()
	defer func() { stopBatcher(); <-batcherDone }()
	total := c.partitionCount(ctx)
	g, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                c.cfg.GroupID,
		Brokers:           c.cfg.Brokers,
		Dialer:            c.cfg.dialer(),
		Topics:            c.cfg.submitTopics(),
		StartOffset:       kafka.FirstOffset,
		HeartbeatInterval: time.Second,
		SessionTimeout:    10 * time.Second,
		RebalanceTimeout:  c.submit + 10*time.Second,
		JoinGroupBackoff:  time.Second,
	})
	if err != nil {
		return fmt.Errorf("consumer group %s: %w", c.cfg.GroupID, err)
	}
	c.runners = newRunners()
	defer c.runners.close() // after the actors stopped: no delivery is running
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
		// Limits follow this instance's share of the transactional lane:
		// tern creates the lanes with as many partitions each, and the
		// group's balancer gives a member a like share of each.
		if total > 0 {
			c.limits.SetShare(float64(len(gen.Assignments[c.cfg.Topics.Submit])) / float64(total))
		}
		commits := newCommitter(gen, c.log)
		n := 0
		for _, topic := range c.cfg.submitTopics() {
			for _, pa := range gen.Assignments[topic] {
				a := newActor(c, gen, commits, topic, pa.ID, pa.Offset)
				actors.Add(1)
				commits.actors.Add(1)
				gen.Start(func(gctx context.Context) {
					defer actors.Done()
					defer commits.actors.Done()
					a.run(gctx)
				})
				n++
			}
		}
		gen.Start(commits.run)
		c.log.Info("partitions assigned", "generation", gen.ID, "partitions", n)
	}
}

// policy returns the in-doubt policy of a carrier.
func (c *Consumer) policy(carrier string) InDoubtPolicy { return c.policies[carrier] }

// partitionCount reads how many partitions the submit topic has, or 0.
func (c *Consumer) partitionCount(ctx context.Context) int {
	conn, err := c.cfg.dialer().DialContext(ctx, "tcp", c.cfg.Brokers[0])
	if err != nil {
		c.log.Warn("read submit topic partitions", "err", err)
		return 0
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions(c.cfg.Topics.Submit)
	if err != nil {
		c.log.Warn("read submit topic partitions", "err", err)
		return 0
	}
	return len(parts)
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
