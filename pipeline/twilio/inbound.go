package twilio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/phone"
	tw "github.com/ternsms/tern/core/twilio"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// NumberOwners resolves the number a reply was sent to;
// tenants.Registry is one.
type NumberOwners interface {
	TenantByNumber(to string) (string, bool)
}

// InboundConfig says where the replies come from.
type InboundConfig struct {
	Brokers []string
	// MO is the topic of customers' replies. Default "tern.mo".
	MO string
	// Group is the consumer group. Default "tern-twilio-inbound".
	Group string
	// ClientOpts are the Kafka client's security options (SASL, TLS).
	ClientOpts []kgo.Opt
}

// Inbound posts each customer reply to its tenant's SMS URL (the oldest
// working account that has one) as Twilio posts an incoming message,
// signed with the account's token, and sends the <Message> replies of
// the TwiML it answers with. Like Twilio, it posts once: a URL that
// fails or times out is logged and counted, not retried. A reply whose
// record is processed again (a restart before its offset was committed)
// is posted again with the same MessageSid; its TwiML replies are sent
// once (idempotency keys).
type Inbound struct {
	store   *Store
	tokens  Tokens
	owners  NumberOwners
	intake  Intake
	client  *http.Client
	cl      *kgo.Client
	metrics *Metrics
	log     *slog.Logger
}

// InboundTimeout bounds one post to an SMS URL, reading the TwiML
// included.
const InboundTimeout = 15 * time.Second

// NewInbound returns an Inbound; Run consumes.
func NewInbound(c InboundConfig, s *Store, tokens Tokens, owners NumberOwners, in Intake, m *Metrics, log *slog.Logger) (*Inbound, error) {
	if c.MO == "" {
		c.MO = "tern.mo"
	}
	if c.Group == "" {
		c.Group = "tern-twilio-inbound"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ConsumerGroup(c.Group),
		kgo.ConsumeTopics(c.MO),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(250 * time.Millisecond),
	}, c.ClientOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer for %s: %w", c.MO, err)
	}
	return &Inbound{store: s, tokens: tokens, owners: owners, intake: in, client: &http.Client{Timeout: InboundTimeout},
		cl: cl, metrics: m, log: log}, nil
}

// Run handles replies until ctx ends, committing each record once its
// replies are queued, then leaves the group.
func (b *Inbound) Run(ctx context.Context) error {
	defer b.cl.Close()
	for {
		fs := b.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fs.EachError(func(topic string, part int32, err error) {
			b.log.Warn("mo fetch", "topic", topic, "partition", part, "err", err)
		})
		var done []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) {
			if ctx.Err() == nil && b.handleRetrying(ctx, r) {
				done = append(done, r)
			}
		})
		if len(done) > 0 {
			if err := b.cl.CommitRecords(ctx, done...); err != nil && ctx.Err() == nil {
				b.log.Warn("mo commit", "err", err)
			}
		}
	}
}

// handleRetrying handles r: it posts once, then retries queuing the
// replies every second until that succeeds; false when ctx ended first.
func (b *Inbound) handleRetrying(ctx context.Context, r *kgo.Record) bool {
	var p *answered
	for {
		var err error
		if p == nil {
			p, err = b.answer(ctx, r)
			if err == nil && p == nil {
				return true // nothing to do
			}
		}
		if err == nil {
			if err = b.reply(ctx, p); err == nil {
				return true
			}
		}
		b.log.Warn("twilio inbound", "partition", r.Partition, "offset", r.Offset, "err", err)
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// Handle posts one MO record to its tenant's SMS URL and queues the
// replies; handleRetrying is what Run uses.
func (b *Inbound) Handle(ctx context.Context, r *kgo.Record) error {
	p, err := b.answer(ctx, r)
	if err != nil || p == nil {
		return err
	}
	return b.reply(ctx, p)
}

// answered is an incoming message posted, and the replies its SMS URL
// answered with.
type answered struct {
	account  Account
	sid      string
	from, to string
	replies  []tw.Reply
}

// answer posts one MO record to its tenant's SMS URL. It returns nil
// for a record that does not decode, for a number no tenant has, of a
// tenant without an SMS URL, or whose URL failed; an error only when the
// store could not be read.
func (b *Inbound) answer(ctx context.Context, r *kgo.Record) (*answered, error) {
	var in recordv1.Inbound
	if err := proto.Unmarshal(r.Value, &in); err != nil {
		b.log.Error("undecodable mo record", "partition", r.Partition, "offset", r.Offset, "err", err)
		return nil, nil
	}
	tenant, ok := b.owners.TenantByNumber(in.To)
	if !ok {
		return nil, nil
	}
	a, err := b.store.inboundAccount(ctx, tenant)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d/%d", r.Topic, r.Partition, r.Offset))
	p := &answered{account: a, sid: tw.PrefixMessage + hex.EncodeToString(sum[:16]), from: in.From, to: in.To}
	if n, err := phone.Parse("+"+strings.TrimPrefix(strings.TrimSpace(in.From), "+"), ""); err == nil {
		p.from = n.E164
	}
	if p.replies, err = b.post(ctx, a, inboundForm(a, p.sid, p.from, p.to, in.Text)); err != nil {
		b.log.Warn("sms url", "account", a.SID, "err", err)
		return nil, nil
	}
	return p, nil
}

// inboundForm is what Twilio posts for an incoming message.
func inboundForm(a Account, sid, from, to, text string) url.Values {
	p := url.Values{}
	for _, k := range []string{"MessageSid", "SmsSid", "SmsMessageSid"} {
		p.Set(k, sid)
	}
	p.Set("AccountSid", a.SID)
	p.Set("MessagingServiceSid", a.MessagingServiceSID)
	p.Set("From", from)
	p.Set("To", to)
	p.Set("Body", text)
	p.Set("NumMedia", "0")
	p.Set("NumSegments", fmt.Sprint(gsm.Analyze(text, gsm.Options{}).Segments))
	p.Set("SmsStatus", "received")
	p.Set("ApiVersion", tw.APIVersion)
	if n, err := phone.Parse(from, ""); err == nil {
		p.Set("FromCountry", n.Region)
	}
	if n, err := phone.Parse("+"+strings.TrimPrefix(to, "+"), ""); err == nil {
		p.Set("ToCountry", n.Region)
	}
	return p
}

// post sends form to a's SMS URL, signed, and reads the TwiML answer.
func (b *Inbound) post(ctx context.Context, a Account, form url.Values) ([]tw.Reply, error) {
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.SMSURL, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "tern (Twilio-compatible inbound message)")
	req.Header.Set("X-Twilio-Signature", tw.Signature(b.tokens.Token(a.SID), a.SMSURL, form))
	resp, err := b.client.Do(req)
	if err != nil {
		b.metrics.inboundPost("failed")
		return nil, err
	}
	defer resp.Body.Close()
	twiml, err := io.ReadAll(io.LimitReader(resp.Body, tw.MaxTwiML+1))
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		b.metrics.inboundPost("failed")
		return nil, fmt.Errorf("answered %s: %v", resp.Status, err)
	}
	replies, err := tw.ParseTwiML(twiml)
	if err != nil {
		b.metrics.inboundPost("bad_twiml")
		return nil, err
	}
	b.metrics.inboundPost("ok")
	return replies, nil
}

// reply queues p's TwiML replies, from the tenant's number the
// customer wrote to, to the customer, unless a <Message> names others.
func (b *Inbound) reply(ctx context.Context, p *answered) error {
	for i, r := range p.replies {
		o := Outgoing{To: r.To, From: r.From, Body: r.Body, Direction: DirectionOutboundReply, IdempotencyKey: fmt.Sprintf("twilio:reply:%s:%d", p.sid, i)}
		if o.To == "" {
			o.To = p.from
		}
		if o.From == "" {
			o.From = p.to
		}
		if _, err := b.store.Send(ctx, b.intake, p.account, o); err != nil {
			if isRefusal(err) {
				b.log.Warn("twiml reply refused", "account", p.account.SID, "err", err)
				continue
			}
			return err
		}
	}
	return nil
}
