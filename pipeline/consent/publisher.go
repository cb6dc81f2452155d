package consent

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core/consent"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// publishTimeout bounds one publish, retries included.
const publishTimeout = 10 * time.Second

// publisher puts state changes on the suppressions topic with acks=all.
type publisher struct {
	cl *kgo.Client
}

func newPublisher(c TopicConfig) (*publisher, error) {
	cl, err := kgo.NewClient(c.opts(
		kgo.DefaultProduceTopic(c.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.RecordDeliveryTimeout(publishTimeout),
	)...)
	if err != nil {
		return nil, fmt.Errorf("kafka producer for %s: %w", c.Topic, err)
	}
	return &publisher{cl: cl}, nil
}

func (p *publisher) close() { p.cl.Close() }

func (p *publisher) send(ctx context.Context, chs []change) error {
	recs := make([]*kgo.Record, len(chs))
	for i, ch := range chs {
		v, err := proto.Marshal(&recordv1.Suppression{
			Key: ch.key[:], Bits: uint32(ch.state.Bits()), Version: ch.version, TenantId: ch.tenant, ChangedAt: timestamppb.Now(),
		})
		if err != nil {
			return fmt.Errorf("encode suppression: %w", err)
		}
		recs[i] = &kgo.Record{Key: append([]byte(nil), ch.key[:]...), Value: v}
	}
	return p.cl.ProduceSync(ctx, recs...).FirstErr()
}

// publish puts a committed change on the topic and on the local set, and
// marks it published. A failure is logged and left to Run, which
// publishes every state whose last version is not marked.
func (l *Ledger) publish(ctx context.Context, ch change) {
	if s := l.local.Load(); s != nil {
		s.apply(ch.key, ch.state.Bits(), ch.version)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := l.pub.send(ctx, []change{ch}); err != nil {
		l.log.Warn("suppression not published yet; retried", "err", err)
		return
	}
	if _, err := l.pool.Exec(ctx, `UPDATE consent_state SET published = greatest(published, $2) WHERE key = $1`, ch.key[:], ch.version); err != nil {
		l.log.Warn("suppression published, not marked; published again", "err", err)
	}
}

// RepublishEvery is how often Run looks for unpublished states; a state
// is republished once it has waited RepublishAfter.
const (
	RepublishEvery = 500 * time.Millisecond
	RepublishAfter = 500 * time.Millisecond
)

// Run publishes, until ctx ends, the states whose publish after their
// write failed (the broker was away, the process died between commit
// and publish). Every instance may run it; a state published twice is
// applied once.
func (l *Ledger) Run(ctx context.Context) error {
	t := time.NewTicker(RepublishEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := l.republish(ctx); err != nil && ctx.Err() == nil {
			l.log.Warn("republish suppressions", "err", err)
		}
	}
}

func (l *Ledger) republish(ctx context.Context) error {
	rows, err := l.pool.Query(ctx, `SELECT key, tenant_id, bits, version FROM consent_state
		WHERE published < version AND updated_at < now() - $1::interval ORDER BY updated_at LIMIT 1000`, RepublishAfter.String())
	if err != nil {
		return err
	}
	chs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (change, error) {
		var ch change
		var key []byte
		var bits int16
		err := r.Scan(&key, &ch.tenant, &bits, &ch.version)
		ch.key, ch.state = Key(key), consent.FromBits(uint8(bits))
		return ch, err
	})
	if err != nil || len(chs) == 0 {
		return err
	}
	if err := l.pub.send(ctx, chs); err != nil {
		return err
	}
	keys, versions := make([][]byte, len(chs)), make([]int64, len(chs))
	for i, ch := range chs {
		keys[i], versions[i] = ch.key[:], ch.version
		if s := l.local.Load(); s != nil {
			s.apply(ch.key, ch.state.Bits(), ch.version)
		}
	}
	_, err = l.pool.Exec(ctx, `UPDATE consent_state s SET published = greatest(s.published, x.v)
		FROM unnest($1::bytea[], $2::int8[]) AS x(k, v) WHERE s.key = x.k`, keys, versions)
	return err
}
