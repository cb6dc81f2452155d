package storeevents

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/consent"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/stream"
)

// ConsentRecorder writes the consent ledger; consent.Ledger is one.
type ConsentRecorder interface {
	Record(ctx context.Context, e consentlog.Event) (consentlog.Recorded, consent.State, bool, error)
}

// DefaultConsentGroup is ConsentSync's default consumer group.
const DefaultConsentGroup = "tern-store-consent"

// ConsentSync records in the consent ledger the SMS marketing consent
// that store events report (Shopify's sms_marketing_consent and
// buyer_accepts_sms_marketing, WooCommerce's _tern_sms_consent meta, the
// API's customer.sms_marketing): subscribed is an opt-in to marketing,
// unsubscribed an opt-out of marketing. Each write carries the event id
// as its dedupe key, so a redelivered event records nothing new.
type ConsentSync struct {
	group stream.Group
	rec   ConsentRecorder
	log   *slog.Logger
}

// NewConsentSync returns a ConsentSync reading c's topic in group
// (default DefaultConsentGroup).
func NewConsentSync(c Config, group string, rec ConsentRecorder, log *slog.Logger) *ConsentSync {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if c.Topic == "" {
		c.Topic = DefaultTopic
	}
	if group == "" {
		group = DefaultConsentGroup
	}
	return &ConsentSync{group: stream.Group{Brokers: c.Brokers, Group: group, Topics: []string{c.Topic}, Opts: c.KafkaOpts, Log: log},
		rec: rec, log: log}
}

// Run consumes until ctx ends.
func (s *ConsentSync) Run(ctx context.Context) error { return stream.Consume(ctx, s.group, s.handle) }

func (s *ConsentSync) handle(ctx context.Context, recs []*kgo.Record) error {
	for _, r := range recs {
		e, _, err := Decode(r.Value)
		if err != nil {
			s.log.Error("undecodable store event", "partition", r.Partition, "offset", r.Offset, "err", err)
			continue
		}
		if err := s.Handle(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// Handle records e's consent, if it reports one. An event the ledger
// refuses for its content is logged and skipped.
func (s *ConsentSync) Handle(ctx context.Context, e commerce.Event) error {
	c := e.Customer
	if c.Phone == "" || c.SMSMarketing == commerce.ConsentUnknown {
		return nil
	}
	ev := consentlog.Event{Tenant: e.Tenant, Number: c.Phone, Scope: consent.ScopeMarketing, Method: methodOf(e),
		Source: sourceOf(e), Detail: e.Type.String() + " " + e.ID, At: c.ConsentAt, Dedupe: "store:" + e.ID}
	if ev.At.IsZero() || ev.At.After(e.OccurredAt) {
		ev.At = e.OccurredAt
	}
	ev.Kind = consent.OptIn
	if c.SMSMarketing == commerce.ConsentUnsubscribed {
		ev.Kind = consent.OptOut
	}
	_, _, _, err := s.rec.Record(ctx, ev)
	if errors.Is(err, consentlog.ErrInvalid) {
		s.log.Warn("store consent not recorded", "event", e.ID, "err", err)
		return nil
	}
	return err
}

// methodOf is how the consent in e was given, as the ledger names it.
func methodOf(e commerce.Event) consentlog.Method {
	src := strings.ToLower(e.Customer.ConsentSource)
	switch {
	case e.Source == "api":
		return consentlog.MethodAPI
	case strings.Contains(src, "checkout"), e.Type == commerce.CheckoutStarted, e.Type == commerce.CheckoutUpdated, e.Type == commerce.OrderCreated:
		return consentlog.MethodCheckoutCheckbox
	case strings.HasSuffix(src, "shopify"):
		return consentlog.MethodWebForm
	}
	return consentlog.MethodImport
}

// sourceOf is where the consent in e was collected, e.g. "shopify
// checkout".
func sourceOf(e commerce.Event) string {
	src := e.Customer.ConsentSource
	if strings.HasPrefix(src, e.Source) {
		return src
	}
	return strings.TrimSpace(e.Source + " " + src)
}
