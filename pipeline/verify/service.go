package verify

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/core/sender"
	"github.com/ternsms/tern/core/verify"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/tenants"
)

// Intake queues the messages carrying codes; the pipeline's Intake is
// one. A request's IdempotencyKey must make a repeat queue nothing new.
type Intake interface {
	Send(ctx context.Context, reqs []pipeline.Request, out []pipeline.Result) error
}

// Tenants serves tenants' names, consent brands and sender ids from
// memory; tenants.Registry is one.
type Tenants interface {
	Tenant(id string) (*tenants.View, bool)
}

// Service starts, checks and cancels verifications. Safe for concurrent
// use; every instance may run one on the same Store.
type Service struct {
	store   *Store
	keys    verify.Keys
	intake  Intake
	tenants Tenants
	records *Records
	metrics *Metrics
	phones  *phone.Cache
	now     func() time.Time
	log     *slog.Logger
}

// Option configures a Service.
type Option interface{ apply(*Service) }

type optionFunc func(*Service)

func (f optionFunc) apply(s *Service) { f(s) }

// WithLogger sets the logger. Default: discard.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(s *Service) { s.log = l }) }

// WithMetrics records counts in m.
func WithMetrics(m *Metrics) Option { return optionFunc(func(s *Service) { s.metrics = m }) }

// WithRecords puts every start, check, refusal and block on r's topic
// for analytics. Default: none.
func WithRecords(r *Records) Option { return optionFunc(func(s *Service) { s.records = r }) }

// WithClock sets the clock every decision reads. Default time.Now.
func WithClock(now func() time.Time) Option { return optionFunc(func(s *Service) { s.now = now }) }

// WithPhones parses numbers through c, shared with the rest of the
// instance. Default: a cache of the service's own.
func WithPhones(c *phone.Cache) Option { return optionFunc(func(s *Service) { s.phones = c }) }

// MinSecretLen is the shortest secret New accepts.
const MinSecretLen = 16

// New returns a Service on store, deriving and hashing codes from
// secret (every instance the same), sending through in, reading tenants
// from t.
func New(store *Store, secret []byte, in Intake, t Tenants, opts ...Option) (*Service, error) {
	if len(secret) < MinSecretLen {
		return nil, errors.New("verify: secret shorter than 16 bytes")
	}
	if store == nil || in == nil || t == nil {
		return nil, errors.New("verify: missing dependency")
	}
	s := &Service{store: store, keys: verify.NewKeys(secret), intake: in, tenants: t, now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o.apply(s)
	}
	if s.phones == nil {
		s.phones = phone.NewCache(10_000)
	}
	return s, nil
}

// Policy returns tenant's policy with its defaults.
func (s *Service) Policy(ctx context.Context, tenant string) (verify.Policy, error) {
	p, err := s.store.Policy(ctx, tenant)
	return p.WithDefaults(), err
}

// SetPolicy replaces tenant's policy and returns it with its defaults.
func (s *Service) SetPolicy(ctx context.Context, tenant string, p verify.Policy) (verify.Policy, error) {
	if _, ok := s.tenants.Tenant(tenant); !ok {
		return verify.Policy{}, ErrUnknownTenant
	}
	if err := s.store.SetPolicy(ctx, tenant, p); err != nil {
		return verify.Policy{}, err
	}
	return p.WithDefaults(), nil
}

// ownCountries are the countries of a tenant's sender ids: those its ids
// are registered for, and the regions of its numbers.
func ownCountries(v *tenants.View) []string {
	var out []string
	for _, sn := range v.Senders {
		out = append(out, sn.Countries...)
		if sn.Kind == sender.KindLongCode || sn.Kind == sender.KindTollFree {
			if n, err := phone.Parse("+"+strings.TrimPrefix(sender.Normalize(sn.ID), "+"), ""); err == nil {
				out = append(out, n.Region)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// brand is the name a tenant's messages carry.
func brand(p verify.Policy, v *tenants.View) string {
	if p.Brand != "" {
		return p.Brand
	}
	return v.Policy.Brand
}
