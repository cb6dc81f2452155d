package api

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/sender"
	"github.com/ternsms/tern/pipeline"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/inbound"
	"github.com/ternsms/tern/pipeline/tenants"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// ConsentWriter writes the consent ledger; consent.Ledger is one.
type ConsentWriter interface {
	Record(ctx context.Context, e consentlog.Event) (consentlog.Recorded, consent.State, bool, error)
	RequestDoubleOptIn(ctx context.Context, e consentlog.Event, ttl time.Duration) (consentlog.Pending, error)
	Erase(ctx context.Context, tenant, number string) (int64, error)
}

// ConsentReader reads the consent ledger; consent.Ledger is one.
type ConsentReader interface {
	Events(ctx context.Context, tenant, number string) ([]consentlog.Recorded, error)
	State(ctx context.Context, tenant, number string) (consent.State, error)
	PendingUntil(ctx context.Context, tenant, number string) (time.Time, bool, error)
}

// Replies lists and erases the replies tenants received; inbound.Store is
// one.
type Replies interface {
	List(ctx context.Context, tenant, from string, pageSize int, token string) ([]inbound.Reply, string, error)
	Erase(ctx context.Context, tenant, number string) (int64, error)
}

// TenantViews serves tenants' policies and default senders from memory;
// tenants.Registry is one.
type TenantViews interface {
	Tenant(id string) (*tenants.View, bool)
}

// ContactDeps are what the contact service calls.
type ContactDeps struct {
	Writer  ConsentWriter
	Reader  ConsentReader
	Replies Replies
	Tenants TenantViews
	// Sender queues double opt-in confirmation texts.
	Sender Sender
	Log    *slog.Logger
	// The contact book (contacts.Store is each); nil answers its calls
	// Unimplemented.
	Book     ContactBook
	Lists    ContactLists
	Segments Segments
	Imports  ContactImports
}

// contactService serves tern.v1.ContactService for the caller's tenant.
type contactService struct {
	d ContactDeps
}

var _ ternv1connect.ContactServiceHandler = (*contactService)(nil)

// NewContactService returns the ContactService handler over d.
func NewContactService(d ContactDeps) ternv1connect.ContactServiceHandler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &contactService{d: d}
}

func (s *contactService) RecordConsent(ctx context.Context, req *connect.Request[ternv1.RecordConsentRequest]) (*connect.Response[ternv1.RecordConsentResponse], error) {
	m, tenant := req.Msg, tenantFrom(ctx)
	scope := consent.Scope(m.GetScope())
	if scope == 0 {
		scope = consent.ScopeMarketing
	}
	e := consentlog.Event{Tenant: tenant, Number: m.GetNumber(), Kind: consent.OptIn, Scope: scope, Method: consentlog.Method(m.GetMethod()),
		Source: m.GetSource(), Disclosure: m.GetDisclosure(), IP: m.GetIp(), UserAgent: m.GetUserAgent(), At: timeOf(m.GetOccurredAt()), Dedupe: m.GetIdempotencyKey()}
	if e.Method == consentlog.MethodDoubleOptIn {
		return s.doubleOptIn(ctx, e)
	}
	rec, st, _, err := s.d.Writer.Record(ctx, e)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.RecordConsentResponse{Event: eventProto(rec), State: stateProto(st, time.Time{})}), nil
}

// doubleOptIn notes the request and sends the tenant's confirmation text
// from its default sender, which the confirming reply comes back to.
func (s *contactService) doubleOptIn(ctx context.Context, e consentlog.Event) (*connect.Response[ternv1.RecordConsentResponse], error) {
	v, ok := s.d.Tenants.Tenant(e.Tenant)
	if !ok {
		return nil, consentError(s.d.Log, tenants.ErrNotFound)
	}
	if k := sender.Classify(v.DefaultSender); k == sender.KindAlphanumeric || k == sender.KindUnknown {
		return nil, consentError(s.d.Log, errNoReplyNumber)
	}
	p, err := s.d.Writer.RequestDoubleOptIn(ctx, e, time.Duration(v.Policy.DoubleOptInTTL))
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	if p.Fresh {
		req := pipeline.Request{TenantID: e.Tenant, To: e.Number, From: v.DefaultSender, Body: v.Policy.Text(v.Policy.DoubleOptInText),
			Category: core.CategoryTransactional, IdempotencyKey: "consent:double-opt-in:" + itoa(p.ID), Origin: consent.OriginPrefix + "double-opt-in"}
		var out [1]pipeline.Result
		if err := s.d.Sender.Send(ctx, []pipeline.Request{req}, out[:]); err != nil {
			return nil, consentError(s.d.Log, err)
		}
		if out[0].Err != nil {
			return nil, consentError(s.d.Log, out[0].Err)
		}
	}
	st, err := s.d.Reader.State(ctx, e.Tenant, e.Number)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.RecordConsentResponse{State: stateProto(st, p.Expires), ConfirmationSent: p.Fresh}), nil
}

func (s *contactService) RevokeConsent(ctx context.Context, req *connect.Request[ternv1.RevokeConsentRequest]) (*connect.Response[ternv1.RevokeConsentResponse], error) {
	m := req.Msg
	scope, method := consent.Scope(m.GetScope()), consentlog.Method(m.GetMethod())
	if scope == 0 {
		scope = consent.ScopeAll
	}
	if method == 0 {
		method = consentlog.MethodAPI
	}
	rec, st, _, err := s.d.Writer.Record(ctx, consentlog.Event{Tenant: tenantFrom(ctx), Number: m.GetNumber(), Kind: consent.OptOut, Scope: scope,
		Method: method, Source: m.GetSource(), At: timeOf(m.GetOccurredAt()), Dedupe: m.GetIdempotencyKey()})
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.RevokeConsentResponse{Event: eventProto(rec), State: stateProto(st, time.Time{})}), nil
}

func (s *contactService) ListConsentEvents(ctx context.Context, req *connect.Request[ternv1.ListConsentEventsRequest]) (*connect.Response[ternv1.ListConsentEventsResponse], error) {
	tenant, number := tenantFrom(ctx), req.Msg.GetNumber()
	evs, err := s.d.Reader.Events(ctx, tenant, number)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	st, err := s.d.Reader.State(ctx, tenant, number)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	until, _, err := s.d.Reader.PendingUntil(ctx, tenant, number)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	out := &ternv1.ListConsentEventsResponse{State: stateProto(st, until)}
	for _, e := range evs {
		out.Events = append(out.Events, eventProto(e))
	}
	return connect.NewResponse(out), nil
}

func (s *contactService) EraseNumber(ctx context.Context, req *connect.Request[ternv1.EraseNumberRequest]) (*connect.Response[ternv1.EraseNumberResponse], error) {
	tenant := tenantFrom(ctx)
	events, err := s.d.Writer.Erase(ctx, tenant, req.Msg.GetNumber())
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	// The number is valid: Erase took it.
	replies, err := s.d.Replies.Erase(ctx, tenant, e164(req.Msg.GetNumber()))
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.EraseNumberResponse{ConsentEventsErased: events, RepliesErased: replies}), nil
}

func (s *contactService) ListInbound(ctx context.Context, req *connect.Request[ternv1.ListInboundRequest]) (*connect.Response[ternv1.ListInboundResponse], error) {
	m := req.Msg
	if m.GetPageSize() < 0 || m.GetPageSize() > inbound.MaxPage {
		return nil, consentError(s.d.Log, &consentlog.FieldError{Field: "page_size", Reason: "0 to 1000"})
	}
	from := ""
	if m.GetNumber() != "" {
		if from = e164(m.GetNumber()); from == "" {
			return nil, consentError(s.d.Log, &consentlog.FieldError{Field: "number", Reason: "not a valid phone number in E.164 form (+14155552671)"})
		}
	}
	list, next, err := s.d.Replies.List(ctx, tenantFrom(ctx), from, int(m.GetPageSize()), m.GetPageToken())
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	out := &ternv1.ListInboundResponse{NextPageToken: next}
	for _, r := range list {
		out.Replies = append(out.Replies, &ternv1.InboundReply{Id: r.ID, From: r.From, To: r.To, Text: r.Text,
			Intent: ternv1.ReplyIntent(r.Reading.Intent + 1), Keyword: r.Reading.Keyword, Language: r.Reading.Language,
			Action: r.Action, ReceivedAt: timestamppb.New(r.Received)})
	}
	return connect.NewResponse(out), nil
}

func timeOf(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// e164 is number in E.164, or "" when it is not a valid number.
func e164(number string) string {
	n, err := consentlog.NormalizeNumber(number)
	if err != nil {
		return ""
	}
	return n
}

func eventProto(e consentlog.Recorded) *ternv1.ConsentEvent {
	return &ternv1.ConsentEvent{
		Id: e.ID, Number: e.Number, Channel: e.Channel, Kind: ternv1.ConsentKind(e.Kind), Scope: ternv1.ConsentScope(e.Scope),
		Method: ternv1.ConsentMethod(e.Method), Source: e.Source, Disclosure: e.Disclosure, Ip: e.IP, UserAgent: e.UserAgent,
		OccurredAt: timestamppb.New(e.At), RecordedAt: timestamppb.New(e.Recorded), Detail: e.Detail,
	}
}

func stateProto(st consent.State, pendingUntil time.Time) *ternv1.ConsentState {
	out := &ternv1.ConsentState{OptedOut: st.OptedOut, OptOutScope: ternv1.ConsentScope(st.OptOutScope), Marketing: st.Marketing, Erased: st.Erased}
	if !pendingUntil.IsZero() {
		out.PendingUntil = timestamppb.New(pendingUntil)
	}
	return out
}
