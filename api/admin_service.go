package api

import (
	"context"
	"log/slog"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/keyword"
	"github.com/ternsms/tern/core/sender"
	"github.com/ternsms/tern/pipeline/tenants"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TenantStore creates and lists tenants and sets their policy;
// tenants.Store is one.
type TenantStore interface {
	CreateTenant(ctx context.Context, t tenants.Tenant) (tenants.Tenant, error)
	Tenants(ctx context.Context) ([]tenants.Tenant, error)
	Tenant(ctx context.Context, id string) (tenants.Tenant, error)
}

// KeyStore creates, revokes and lists API keys; tenants.Store is one.
type KeyStore interface {
	CreateKey(ctx context.Context, tenant string, scopes tenants.Scope, name string) (tenants.Key, string, error)
	RevokeKey(ctx context.Context, tenant, id string) error
	Keys(ctx context.Context, tenant string) ([]tenants.Key, error)
}

// SenderStore sets and lists sender ids and the consent policy;
// tenants.Store is one.
type SenderStore interface {
	SetSenders(ctx context.Context, tenant string, list []tenants.Sender) error
	Senders(ctx context.Context, tenant string) ([]tenants.Sender, error)
	SetPolicy(ctx context.Context, id string, p consent.Policy, rules map[string]sender.Rule) error
}

// AdminDeps are what the admin service calls.
type AdminDeps struct {
	Tenants TenantStore
	Keys    KeyStore
	Senders SenderStore
	Log     *slog.Logger
}

// adminService serves tern.v1.AdminService. The interceptor has checked
// the admin scope and that only operator keys create and list tenants;
// here a tenant's key is kept to its own tenant.
type adminService struct {
	d AdminDeps
}

var _ ternv1connect.AdminServiceHandler = (*adminService)(nil)

// NewAdminService returns the AdminService handler over d.
func NewAdminService(d AdminDeps) ternv1connect.AdminServiceHandler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &adminService{d: d}
}

// target is the tenant a call is about: the request's, which a tenant's
// key may only name as its own; "" allowed only when allowOperator.
func target(ctx context.Context, requested string, allowOperator bool) (string, error) {
	c := callerFrom(ctx)
	switch {
	case c.Tenant != "" && requested != "" && requested != c.Tenant:
		return "", errOtherTenant
	case c.Tenant != "":
		return c.Tenant, nil
	case requested == "" && !allowOperator:
		return "", errNoTenant
	}
	return requested, nil
}

func (s *adminService) CreateTenant(ctx context.Context, req *connect.Request[ternv1.CreateTenantRequest]) (*connect.Response[ternv1.CreateTenantResponse], error) {
	if callerFrom(ctx).Tenant != "" {
		return nil, consentError(s.d.Log, errPermission)
	}
	t, err := s.d.Tenants.CreateTenant(ctx, tenants.Tenant{ID: req.Msg.GetId(), Name: req.Msg.GetName(), Policy: policyFromProto(req.Msg.GetPolicy())})
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.CreateTenantResponse{Tenant: tenantProto(t)}), nil
}

func (s *adminService) ListTenants(ctx context.Context, _ *connect.Request[ternv1.ListTenantsRequest]) (*connect.Response[ternv1.ListTenantsResponse], error) {
	if callerFrom(ctx).Tenant != "" {
		return nil, consentError(s.d.Log, errPermission)
	}
	ts, err := s.d.Tenants.Tenants(ctx)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	out := &ternv1.ListTenantsResponse{}
	for _, t := range ts {
		out.Tenants = append(out.Tenants, tenantProto(t))
	}
	return connect.NewResponse(out), nil
}

func (s *adminService) CreateApiKey(ctx context.Context, req *connect.Request[ternv1.CreateApiKeyRequest]) (*connect.Response[ternv1.CreateApiKeyResponse], error) {
	tenant, err := target(ctx, req.Msg.GetTenantId(), true)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	var scopes tenants.Scope
	for _, sc := range req.Msg.GetScopes() {
		if sc <= ternv1.ApiKeyScope_API_KEY_SCOPE_UNSPECIFIED || sc > ternv1.ApiKeyScope_API_KEY_SCOPE_ADMIN {
			return nil, consentError(s.d.Log, &tenants.FieldError{Field: "scopes", Reason: "unknown scope"})
		}
		scopes |= 1 << (sc - 1)
	}
	if tenant == "" && scopes == 0 {
		scopes = tenants.ScopeAdmin
	}
	k, secret, err := s.d.Keys.CreateKey(ctx, tenant, scopes, req.Msg.GetName())
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.CreateApiKeyResponse{ApiKey: keyProto(k), Key: secret}), nil
}

func (s *adminService) RevokeApiKey(ctx context.Context, req *connect.Request[ternv1.RevokeApiKeyRequest]) (*connect.Response[ternv1.RevokeApiKeyResponse], error) {
	tenant, err := target(ctx, req.Msg.GetTenantId(), true)
	if err == nil && req.Msg.GetId() == "" {
		err = &tenants.FieldError{Field: "id", Reason: "required"}
	}
	if err == nil {
		err = s.d.Keys.RevokeKey(ctx, tenant, req.Msg.GetId())
	}
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.RevokeApiKeyResponse{}), nil
}

func (s *adminService) ListApiKeys(ctx context.Context, req *connect.Request[ternv1.ListApiKeysRequest]) (*connect.Response[ternv1.ListApiKeysResponse], error) {
	tenant, err := target(ctx, req.Msg.GetTenantId(), true)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	keys, err := s.d.Keys.Keys(ctx, tenant)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	out := &ternv1.ListApiKeysResponse{}
	for _, k := range keys {
		out.ApiKeys = append(out.ApiKeys, keyProto(k))
	}
	return connect.NewResponse(out), nil
}

func (s *adminService) SetSenders(ctx context.Context, req *connect.Request[ternv1.SetSendersRequest]) (*connect.Response[ternv1.SetSendersResponse], error) {
	tenant, err := target(ctx, req.Msg.GetTenantId(), false)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	var list []tenants.Sender
	for _, sn := range req.Msg.GetSenders() {
		list = append(list, tenants.Sender{ID: sn.GetId(), Countries: sn.GetCountries(), Default: sn.GetIsDefault()})
	}
	if err := s.d.Senders.SetSenders(ctx, tenant, list); err != nil {
		return nil, consentError(s.d.Log, err)
	}
	got, err := s.listSenders(ctx, tenant)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.SetSendersResponse{Senders: got}), nil
}

func (s *adminService) ListSenders(ctx context.Context, req *connect.Request[ternv1.ListSendersRequest]) (*connect.Response[ternv1.ListSendersResponse], error) {
	tenant, err := target(ctx, req.Msg.GetTenantId(), false)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	got, err := s.listSenders(ctx, tenant)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.ListSendersResponse{Senders: got}), nil
}

func (s *adminService) listSenders(ctx context.Context, tenant string) ([]*ternv1.Sender, error) {
	list, err := s.d.Senders.Senders(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]*ternv1.Sender, len(list))
	for i, sn := range list {
		out[i] = &ternv1.Sender{Id: sn.ID, Kind: ternv1.SenderKind(sn.Kind), Countries: sn.Countries, IsDefault: sn.Default}
	}
	return out, nil
}

func (s *adminService) GetConsentPolicy(ctx context.Context, req *connect.Request[ternv1.GetConsentPolicyRequest]) (*connect.Response[ternv1.GetConsentPolicyResponse], error) {
	tenant, err := target(ctx, req.Msg.GetTenantId(), false)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	t, err := s.d.Tenants.Tenant(ctx, tenant)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.GetConsentPolicyResponse{
		Policy: policyProto(t.Policy), Effective: policyProto(t.Policy.WithDefaults(t.Name)),
	}), nil
}

func (s *adminService) UpdateConsentPolicy(ctx context.Context, req *connect.Request[ternv1.UpdateConsentPolicyRequest]) (*connect.Response[ternv1.UpdateConsentPolicyResponse], error) {
	tenant, err := target(ctx, req.Msg.GetTenantId(), false)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	t, err := s.d.Tenants.Tenant(ctx, tenant)
	if err != nil {
		return nil, consentError(s.d.Log, err)
	}
	p := policyFromProto(req.Msg.GetPolicy())
	if err := s.d.Senders.SetPolicy(ctx, tenant, p, t.SenderRules); err != nil {
		return nil, consentError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.UpdateConsentPolicyResponse{Policy: policyProto(p)}), nil
}

func tenantProto(t tenants.Tenant) *ternv1.Tenant {
	return &ternv1.Tenant{Id: t.ID, Name: t.Name, Source: t.Source, CreatedAt: timestamppb.New(t.Created)}
}

func keyProto(k tenants.Key) *ternv1.ApiKey {
	out := &ternv1.ApiKey{Id: k.ID, TenantId: k.Tenant, Name: k.Name, Last4: k.Last4, Source: k.Source, CreatedAt: timestamppb.New(k.Created)}
	for i := range 4 {
		if k.Scopes.Has(1 << i) {
			out.Scopes = append(out.Scopes, ternv1.ApiKeyScope(i+1))
		}
	}
	if !k.Revoked.IsZero() {
		out.RevokedAt = timestamppb.New(k.Revoked)
	}
	return out
}

func policyFromProto(p *ternv1.ConsentPolicy) consent.Policy {
	if p == nil {
		return consent.Policy{}
	}
	k := p.GetKeywords()
	return consent.Policy{
		Brand: p.GetBrand(), Contact: p.GetContact(), StopScope: consent.Scope(p.GetStopScope()),
		HelpText: p.GetHelpText(), StopText: p.GetStopText(), StartText: p.GetStartText(),
		DoubleOptInText: p.GetDoubleOptInText(), ConfirmedText: p.GetConfirmedText(),
		DoubleOptInTTL: consent.Duration(time.Duration(p.GetDoubleOptInTtlSeconds()) * time.Second),
		Keywords: keyword.Config{Languages: k.GetLanguages(), OptOut: k.GetOptOut(), OptIn: k.GetOptIn(), Help: k.GetHelp(),
			Confirm: k.GetConfirm(), Remove: k.GetRemove()},
		FrequencyCap: consent.FrequencyCap{Max: int(p.GetFrequencyCapMax()),
			Window: consent.Duration(time.Duration(p.GetFrequencyCapWindowSeconds()) * time.Second), Defer: p.GetFrequencyCapDefer()},
		OptOutFooter: p.GetOptOutFooter(),
	}
}

func policyProto(p consent.Policy) *ternv1.ConsentPolicy {
	k := p.Keywords
	return &ternv1.ConsentPolicy{
		StopScope: ternv1.ConsentScope(p.StopScope), Brand: p.Brand, Contact: p.Contact,
		HelpText: p.HelpText, StopText: p.StopText, StartText: p.StartText,
		DoubleOptInText: p.DoubleOptInText, ConfirmedText: p.ConfirmedText,
		DoubleOptInTtlSeconds:     int64(time.Duration(p.DoubleOptInTTL) / time.Second),
		Keywords:                  &ternv1.KeywordConfig{Languages: k.Languages, OptOut: k.OptOut, OptIn: k.OptIn, Help: k.Help, Confirm: k.Confirm, Remove: k.Remove},
		FrequencyCapMax:           int32(p.FrequencyCap.Max),
		FrequencyCapWindowSeconds: int64(time.Duration(p.FrequencyCap.Window) / time.Second),
		FrequencyCapDefer:         p.FrequencyCap.Defer,
		OptOutFooter:              p.OptOutFooter,
	}
}
