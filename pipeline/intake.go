package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/core/price"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// MaxBatch is the most requests one Send call takes.
const MaxBatch = 1000

// Result is the outcome of one Request: an accepted message or an error.
type Result struct {
	ID       string
	Status   core.Status
	Segments int
	Encoding gsm.Encoding
	// Price is what the message costs the tenant; nil without a price table.
	Price *price.Estimate
	Err   error
}

// Intake validates requests and produces them to the submit topic. It
// answers only after Kafka acknowledged every record (acks=all). Every
// front door shares it. Safe for concurrent use.
type Intake struct {
	w       *producer
	topics  Topics // a message's lane: its category's submit topic
	ids     *msgid.Issuer
	store   *Store
	metrics *Metrics
	prices  *price.Table
	phones  *phone.Cache
	// validity is how long after its send time a message may still go out.
	validity time.Duration
	now      func() time.Time
	log      *slog.Logger
	closed   atomic.Bool
}

// IntakeOption configures an Intake.
type IntakeOption interface{ applyIntake(*Intake) }

type intakeOptionFunc func(*Intake)

func (f intakeOptionFunc) applyIntake(in *Intake) { f(in) }

// WithIntakeLogger sets the intake's logger.
func WithIntakeLogger(l *slog.Logger) IntakeOption {
	return intakeOptionFunc(func(in *Intake) { in.log = l })
}

// WithIntakeMetrics records accepted messages in m.
func WithIntakeMetrics(m *Metrics) IntakeOption {
	return intakeOptionFunc(func(in *Intake) { in.metrics = m })
}

// WithPrices prices every accepted message from t.
func WithPrices(t *price.Table) IntakeOption {
	return intakeOptionFunc(func(in *Intake) { in.prices = t })
}

// WithValidity sets how long after its send time a message may still go
// out; later it ends EXPIRED. A request may ask for less (Request.Validity),
// not for more. Default 48h.
func WithValidity(d time.Duration) IntakeOption {
	return intakeOptionFunc(func(in *Intake) { in.validity = d })
}

// WithIntakePhones parses recipients through c, shared with the rest of
// the instance. Default: a cache of the intake's own.
func WithIntakePhones(c *phone.Cache) IntakeOption {
	return intakeOptionFunc(func(in *Intake) { in.phones = c })
}

// NewIntake returns an Intake producing to c's submit topic with ids from
// ids, keeping idempotency keys in store.
func NewIntake(c KafkaConfig, ids *msgid.Issuer, store *Store, opts ...IntakeOption) (*Intake, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	in := &Intake{ids: ids, store: store, now: time.Now, log: slog.Default(), validity: 48 * time.Hour}
	for _, o := range opts {
		o.applyIntake(in)
	}
	if in.phones == nil {
		in.phones = phone.NewCache(100_000)
	}
	w, err := newProducer(c, c.Topics.Submit, c.BatchTimeout)
	if err != nil {
		return nil, err
	}
	in.w, in.topics = w, c.Topics
	return in, nil
}

// Send validates and queues reqs, filling one Result per request in out
// (len(out) must equal len(reqs)). Items fail on their own: an invalid
// request gets a *FieldError, the others are still queued. A request whose
// idempotency key was seen before gets the first answer and queues
// nothing new; one whose key was used for a different message gets a
// *FieldError wrapping ErrKeyConflict. Send returns an error only when it
// could not try at all.
//
// Its steps: validate each request, claim the idempotency keys, build the
// submit records, produce them (and mark their keys queued).
func (in *Intake) Send(ctx context.Context, reqs []Request, out []Result) error {
	if in.closed.Load() {
		return ErrClosed
	}
	if len(out) != len(reqs) {
		return fmt.Errorf("send: %d results for %d requests", len(out), len(reqs))
	}
	if len(reqs) > MaxBatch {
		return &FieldError{Field: "messages", Reason: fmt.Sprintf("more than %d in one batch", MaxBatch)}
	}
	s := sendCall{
		reqs: reqs, out: out,
		valid:    make([]checked, len(reqs)),
		produce:  make([]bool, len(reqs)),
		sameAs:   map[int]int{},
		firstKey: map[tenantKey]int{},
		// Room for a few keys in Send's frame: a small call's key
		// bookkeeping allocates nothing.
		claimOf: make([]int, 0, 4),
		toMark:  make([]int, 0, 4),
		msgs:    make([]*kgo.Record, 0, len(reqs)),
		idx:     make([]int, 0, len(reqs)),
	}
	now := in.now()
	s = in.validate(s, now)
	s = in.claimKeys(ctx, s)
	s = in.build(s, now)
	if len(s.msgs) > 0 {
		in.produce(ctx, s.msgs, s.idx, out)
	}
	in.markQueued(ctx, s)
	for i, j := range s.sameAs {
		out[i] = out[j]
	}
	n := 0
	for i := range out {
		if out[i].Err == nil {
			n++
		}
	}
	in.metrics.addAccepted(n)
	return nil
}

// sendCall is one Send call as its steps fill it in. Steps take and
// return it by value, so that it stays in Send's frame and its slices and
// maps cost no allocation of their own while they are small.
type sendCall struct {
	reqs []Request
	out  []Result
	// valid[i] is reqs[i] checked, when validate left out[i] without error.
	valid []checked
	// produce[i]: reqs[i] is to be produced.
	produce  []bool
	claims   []keyClaim
	claimOf  []int             // claims[k] belongs to reqs[claimOf[k]]
	sameAs   map[int]int       // a repeated key in this call -> its first request
	firstKey map[tenantKey]int // a key in this call -> its claim
	toMark   []int             // claims sent under their key
	msgs     []*kgo.Record
	idx      []int // msgs[j] belongs to out[idx[j]]
}

// validate checks each request and gives each valid one its result: a new
// id, its segments and price. A request under an idempotency key claims
// it, unless an earlier request of the call did: it then gets that one's
// answer, or a conflict if it is a different message.
func (in *Intake) validate(s sendCall, now time.Time) sendCall {
	for i, r := range s.reqs {
		c, err := check(r, in.phones)
		if err == nil && r.Validity > 0 && r.Validity > in.validity {
			err = &FieldError{Field: "validity", Reason: fmt.Sprintf("longer than this server's %v", in.validity)}
		}
		if err != nil {
			s.out[i] = Result{Err: err}
			continue
		}
		s.valid[i] = c
		s.out[i] = Result{ID: in.ids.New(r.TenantID, now), Status: core.StatusQueued, Segments: c.info.Segments, Encoding: c.info.Encoding,
			Price: in.price(c)}
		if r.IdempotencyKey == "" {
			s.produce[i] = true
			continue
		}
		tk, sha := tenantKey{r.TenantID, r.IdempotencyKey}, requestSHA(c)
		if k, ok := s.firstKey[tk]; ok {
			if s.claims[k].sha != sha {
				s.out[i] = Result{Err: keyConflict()}
				continue
			}
			s.sameAs[i] = s.claimOf[k]
			continue
		}
		s.firstKey[tk] = len(s.claims)
		s.claims = append(s.claims, keyClaim{tenant: r.TenantID, key: r.IdempotencyKey, sha: sha,
			id: s.out[i].ID, segments: c.info.Segments, encoding: c.info.Encoding})
		s.claimOf = append(s.claimOf, i)
	}
	return s
}

// claimKeys claims the call's idempotency keys: the first request to
// claim a key sends; a later one gets its answer.
func (in *Intake) claimKeys(ctx context.Context, s sendCall) sendCall {
	if len(s.claims) == 0 {
		return s
	}
	got, err := in.store.claimKeys(ctx, s.claims)
	if err != nil {
		in.log.Warn("idempotency keys", "err", err)
		for _, i := range s.claimOf {
			s.out[i] = Result{Err: fmt.Errorf("%w: %w", ErrQueueUnavailable, err)}
		}
		return s
	}
	for k, g := range got {
		i := s.claimOf[k]
		switch {
		case g.err != nil:
			in.log.Warn("idempotency key refused", "err", g.err)
			s.out[i] = Result{Err: &FieldError{Field: "idempotency_key", Reason: "refused by the database", Kind: ErrUnstorable}}
		case g.conflict:
			s.out[i] = Result{Err: keyConflict()}
		case g.queued:
			s.out[i] = Result{ID: g.id, Status: core.StatusQueued, Segments: g.segments, Encoding: g.encoding, Price: s.out[i].Price}
		default:
			// Fresh, or claimed before by a send whose produce may
			// have failed: (re)send under the key's id. A copy that
			// did reach Kafka is the same message id, which the
			// delivery ledger never submits twice.
			s.out[i] = Result{ID: g.id, Status: core.StatusQueued, Segments: g.segments, Encoding: g.encoding, Price: s.out[i].Price}
			s.produce[i] = true
			s.toMark = append(s.toMark, k)
		}
	}
	return s
}

// build encodes the submit record of each request to produce, on its
// lane's submit topic, keyed by recipient.
func (in *Intake) build(s sendCall, now time.Time) sendCall {
	for i := range s.reqs {
		if !s.produce[i] {
			continue
		}
		c := s.valid[i]
		rec := &recordv1.Submit{
			Id:            s.out[i].ID,
			TenantId:      c.TenantID,
			To:            c.to.E164,
			From:          c.From,
			Body:          c.Body,
			CampaignId:    c.CampaignID,
			Category:      ternv1.Category(c.Category),
			Segments:      int32(c.info.Segments),
			Encoding:      ternv1.Encoding(c.info.Encoding),
			AcceptedAt:    timestamppb.New(now),
			Region:        c.to.Region,
			SmartEncoding: c.Coding.Smart,
			ShiftTables:   languagesText(c.Coding.Languages),
			Origin:        c.Origin,
		}
		if c.Raw != nil {
			rec.Raw = &recordv1.RawMessage{DataCoding: uint32(c.Raw.DataCoding), Udhi: c.Raw.UDHI, ShortMessage: c.Raw.ShortMessage}
		}
		if p := s.out[i].Price; p != nil {
			rec.PriceMicros, rec.Currency = int64(p.Total), p.Currency
		}
		start := now
		if c.SendAt.After(now) {
			start = c.SendAt
			rec.NotBefore = timestamppb.New(c.SendAt)
		}
		rec.ValidUntil = timestamppb.New(start.Add(cmp.Or(c.Validity, in.validity)))
		value, err := proto.Marshal(rec)
		if err != nil {
			s.out[i] = Result{Err: fmt.Errorf("encode submit record: %w", err)}
			continue
		}
		s.msgs = append(s.msgs, &kgo.Record{Topic: in.topics.submitTopic(c.Category), Key: []byte(c.to.E164), Value: value, Timestamp: now})
		s.idx = append(s.idx, i)
	}
	return s
}

// markQueued records the keys whose message Kafka took as queued.
func (in *Intake) markQueued(ctx context.Context, s sendCall) {
	if len(s.toMark) == 0 {
		return
	}
	var ok []keyClaim
	for _, k := range s.toMark {
		if s.out[s.claimOf[k]].Err == nil {
			ok = append(ok, s.claims[k])
		}
	}
	if err := in.store.markQueued(ctx, ok); err != nil {
		// The messages are queued; a retry would resend the same id,
		// which the ledger sends once. Nothing to undo.
		in.log.Warn("idempotency keys", "err", err)
	}
}

// tenantKey is an idempotency key within its tenant.
type tenantKey struct{ tenant, key string }

// keyConflict is the error for a key already used for a different message.
func keyConflict() error {
	return &FieldError{Field: "idempotency_key", Reason: "already used for a different message", Kind: ErrKeyConflict}
}

// price estimates what c costs, or nil without a price table or a price
// for its destination.
func (in *Intake) price(c checked) *price.Estimate {
	if in.prices == nil {
		return nil
	}
	e, err := in.prices.Estimate(c.to.Region, "", c.info.Segments)
	if err != nil {
		return nil
	}
	return &e
}

func languagesText(l gsm.Languages) string {
	if l == 0 {
		return ""
	}
	return l.String()
}

// produce writes msgs and records per-message failures in out.
func (in *Intake) produce(ctx context.Context, msgs []*kgo.Record, idx []int, out []Result) {
	errs := make([]error, len(msgs))
	err := in.w.produce(ctx, msgs, errs)
	if err == nil {
		return
	}
	for j, e := range errs {
		if e != nil {
			out[idx[j]] = Result{Err: fmt.Errorf("%w: %w", ErrQueueUnavailable, e)}
		}
	}
	in.log.Warn("produce failed", "records", len(msgs), "err", err)
}

// Close flushes and closes the producer. Idempotent.
func (in *Intake) Close() error {
	if in.closed.Swap(true) {
		return nil
	}
	return in.w.close()
}
