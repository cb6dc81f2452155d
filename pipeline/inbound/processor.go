package inbound

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/pipeline"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/tenants"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// Sender queues the replies tern sends; the pipeline's Intake is one. A
// request's IdempotencyKey must make a repeat queue nothing new.
type Sender interface {
	Send(ctx context.Context, reqs []pipeline.Request, out []pipeline.Result) error
}

// Tenants resolves the number a reply was sent to; tenants.Registry is one.
type Tenants interface {
	TenantByNumber(to string) (string, bool)
	Tenant(id string) (*tenants.View, bool)
}

// Config says where the replies come from and go.
type Config struct {
	Brokers []string
	// MO is the topic of customers' replies. Default "tern.mo".
	MO string
	// Group is the consumer group. Default "tern-inbound".
	Group string
	// Replies, if set, is the topic each reply's Reply record goes to, for
	// analytics.
	Replies string
	// ClientOpts are added to the Kafka client's options: the cluster's
	// TLS and SASL (pipeline.KafkaConfig.ClientOpts).
	ClientOpts []kgo.Opt
}

// Processor reads the MO topic and acts on each reply.
type Processor struct {
	cfg     Config
	tenants Tenants
	ledger  *consentlog.Ledger
	store   *Store
	send    Sender
	limits  *limiters
	cl      *kgo.Client
	log     *slog.Logger
	now     func() time.Time
}

// New returns a Processor; Run consumes.
func New(cfg Config, t Tenants, l *consentlog.Ledger, s *Store, send Sender, log *slog.Logger) (*Processor, error) {
	if cfg.MO == "" {
		cfg.MO = "tern.mo"
	}
	if cfg.Group == "" {
		cfg.Group = "tern-inbound"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.MO),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(250 * time.Millisecond),
		kgo.RequiredAcks(kgo.AllISRAcks()),
	}
	if cfg.Replies != "" {
		opts = append(opts, kgo.DefaultProduceTopic(cfg.Replies))
	}
	opts = append(opts, cfg.ClientOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer for %s: %w", cfg.MO, err)
	}
	return &Processor{cfg: cfg, tenants: t, ledger: l, store: s, send: send, limits: newLimiters(), cl: cl, log: log, now: time.Now}, nil
}

// Run processes replies until ctx ends, committing each record's offset
// once its work is durable, then leaves the group.
func (p *Processor) Run(ctx context.Context) error {
	defer p.cl.Close()
	for {
		fs := p.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fs.EachError(func(topic string, part int32, err error) {
			p.log.Warn("mo fetch", "topic", topic, "partition", part, "err", err)
		})
		var done []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) {
			if ctx.Err() != nil {
				return
			}
			if p.handleRetrying(ctx, r) {
				done = append(done, r)
			}
		})
		if len(done) > 0 {
			if err := p.cl.CommitRecords(ctx, done...); err != nil && ctx.Err() == nil {
				p.log.Warn("mo commit", "err", err) // redelivered later; the work is idempotent
			}
		}
	}
}

// handleRetrying handles r, retrying a failure every second until it
// succeeds or ctx ends (false).
func (p *Processor) handleRetrying(ctx context.Context, r *kgo.Record) bool {
	for {
		err := p.Handle(ctx, r)
		if err == nil {
			return true
		}
		p.log.Warn("mo reply", "partition", r.Partition, "offset", r.Offset, "err", err)
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// Handle processes one MO record. It is idempotent: a record handled
// before does nothing new. An undecodable record or one to an unknown
// number is logged and skipped (nil).
func (p *Processor) Handle(ctx context.Context, r *kgo.Record) error {
	src := fmt.Sprintf("%s/%d/%d", r.Topic, r.Partition, r.Offset)
	var in recordv1.Inbound
	if err := proto.Unmarshal(r.Value, &in); err != nil {
		p.log.Error("undecodable mo record", "source", src, "err", err)
		return nil
	}
	tenant, ok := p.tenants.TenantByNumber(in.To)
	if !ok {
		p.log.Info("reply to a number no tenant has", "source", src)
		return nil
	}
	view, ok := p.tenants.Tenant(tenant)
	if !ok {
		return nil
	}
	from := in.From
	if n, err := phone.Parse("+"+strings.TrimPrefix(strings.TrimSpace(from), "+"), ""); err == nil {
		from = n.E164
	}
	received := p.now()
	if in.ReceivedAt != nil {
		received = in.ReceivedAt.AsTime()
	}
	reply := Reply{Tenant: tenant, From: from, To: in.To, Text: in.Text, Reading: view.Classifier.Classify(in.Text),
		Carrier: in.Carrier, Source: src, Received: received}
	return p.act(ctx, view, reply)
}
