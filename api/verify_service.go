package api

import (
	"context"
	"log/slog"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/verify"
	"github.com/ternsms/tern/pipeline/tenants"
	verifysvc "github.com/ternsms/tern/pipeline/verify"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// Verifier starts, checks, cancels and reads verifications;
// pipeline/verify's Service is one.
type Verifier interface {
	Start(ctx context.Context, r verifysvc.StartRequest) (verifysvc.Started, error)
	Check(ctx context.Context, r verifysvc.CheckRequest) (verifysvc.Checked, error)
	Cancel(ctx context.Context, tenant, id string) (verifysvc.Verification, error)
	Get(ctx context.Context, tenant, id string) (verifysvc.Verification, error)
}

// VerifyPolicies reads and sets tenants' verification policies;
// pipeline/verify's Service is one.
type VerifyPolicies interface {
	Policy(ctx context.Context, tenant string) (verify.Policy, error)
	SetPolicy(ctx context.Context, tenant string, p verify.Policy) (verify.Policy, error)
}

// VerifyDeps are what the verify service calls.
type VerifyDeps struct {
	Verifier Verifier
	Policies VerifyPolicies
	Log      *slog.Logger
}

// verifyService serves tern.v1.VerifyService for the caller's tenant.
type verifyService struct {
	d VerifyDeps
}

var _ ternv1connect.VerifyServiceHandler = (*verifyService)(nil)

// NewVerifyService returns the VerifyService handler over d.
func NewVerifyService(d VerifyDeps) ternv1connect.VerifyServiceHandler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &verifyService{d: d}
}

// sendingTenant is the tenant a start, check or cancel is for: the
// key's; an operator key has none and verifies nothing.
func sendingTenant(ctx context.Context) (string, error) {
	if t := tenantFrom(ctx); t != "" {
		return t, nil
	}
	return "", errPermission
}

// policyTenant is the tenant a policy call is about: the key's own, or
// for an operator key (no tenant, admin scope) the one it names.
func policyTenant(ctx context.Context, requested string) (string, error) {
	t := tenantFrom(ctx)
	switch {
	case t != "" && requested != "" && requested != t:
		return "", errOtherTenant
	case t != "":
		return t, nil
	case !callerFrom(ctx).Scopes.Has(tenants.ScopeAdmin):
		return "", errPermission
	case requested == "":
		return "", errNoTenant
	}
	return requested, nil
}

func (s *verifyService) StartVerification(ctx context.Context, req *connect.Request[ternv1.StartVerificationRequest]) (*connect.Response[ternv1.StartVerificationResponse], error) {
	tenant, err := sendingTenant(ctx)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	m := req.Msg
	st, err := s.d.Verifier.Start(ctx, verifysvc.StartRequest{Tenant: tenant, To: m.GetTo(), Channel: m.GetChannel(), Locale: m.GetLocale(),
		CodeLength: int(m.GetCodeLength())})
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.StartVerificationResponse{Verification: verificationProto(st.Verification), Resent: st.Resent}), nil
}

func (s *verifyService) CheckVerification(ctx context.Context, req *connect.Request[ternv1.CheckVerificationRequest]) (*connect.Response[ternv1.CheckVerificationResponse], error) {
	tenant, err := sendingTenant(ctx)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	m := req.Msg
	c, err := s.d.Verifier.Check(ctx, verifysvc.CheckRequest{Tenant: tenant, ID: m.GetId(), To: m.GetTo(), Code: m.GetCode()})
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.CheckVerificationResponse{Status: ternv1.VerificationStatus(c.Outcome), Verification: verificationProto(c.Verification)}), nil
}

func (s *verifyService) CancelVerification(ctx context.Context, req *connect.Request[ternv1.CancelVerificationRequest]) (*connect.Response[ternv1.CancelVerificationResponse], error) {
	tenant, err := sendingTenant(ctx)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	v, err := s.d.Verifier.Cancel(ctx, tenant, req.Msg.GetId())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.CancelVerificationResponse{Verification: verificationProto(v)}), nil
}

func (s *verifyService) GetVerification(ctx context.Context, req *connect.Request[ternv1.GetVerificationRequest]) (*connect.Response[ternv1.GetVerificationResponse], error) {
	tenant, err := sendingTenant(ctx)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	v, err := s.d.Verifier.Get(ctx, tenant, req.Msg.GetId())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.GetVerificationResponse{Verification: verificationProto(v)}), nil
}

func (s *verifyService) GetVerifyPolicy(ctx context.Context, req *connect.Request[ternv1.GetVerifyPolicyRequest]) (*connect.Response[ternv1.GetVerifyPolicyResponse], error) {
	tenant, err := policyTenant(ctx, req.Msg.GetTenantId())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	p, err := s.d.Policies.Policy(ctx, tenant)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.GetVerifyPolicyResponse{Policy: verifyPolicyProto(p)}), nil
}

func (s *verifyService) UpdateVerifyPolicy(ctx context.Context, req *connect.Request[ternv1.UpdateVerifyPolicyRequest]) (*connect.Response[ternv1.UpdateVerifyPolicyResponse], error) {
	tenant, err := policyTenant(ctx, req.Msg.GetTenantId())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	p, err := s.d.Policies.SetPolicy(ctx, tenant, verifyPolicyFromProto(req.Msg.GetPolicy()))
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.UpdateVerifyPolicyResponse{Policy: verifyPolicyProto(p)}), nil
}

func verificationProto(v verifysvc.Verification) *ternv1.Verification {
	return &ternv1.Verification{Id: v.ID, To: v.To, Channel: v.Channel, Status: ternv1.VerificationStatus(v.Status), Locale: v.Locale,
		CodeLength: int32(v.CodeLength), Sends: int32(v.Sends), Checks: int32(v.Checks), CreatedAt: timestamp(v.Created),
		ExpiresAt: timestamp(v.Expires), UpdatedAt: timestamp(v.Updated), ApprovedAt: timestamp(v.Approved), MessageId: v.MessageID}
}

func dur(d consent.Duration) *durationpb.Duration { return durationpb.New(time.Duration(d)) }

func fromDur(d *durationpb.Duration) consent.Duration { return consent.Duration(d.AsDuration()) }

func verifyPolicyProto(p verify.Policy) *ternv1.VerifyPolicy {
	g := p.Pumping
	out := &ternv1.VerifyPolicy{Expiry: dur(p.Expiry), MaxChecks: int32(p.MaxChecks), MaxSends: int32(p.MaxSends), SendWindow: dur(p.SendWindow),
		CodeLength: int32(p.CodeLength), Locale: p.Locale, Brand: p.Brand, From: p.From, Countries: p.Countries, Domain: p.Domain, AppHash: p.AppHash,
		Pumping: &ternv1.PumpingGuard{Off: g.Off, PrefixDigits: int32(g.PrefixDigits), Window: dur(g.Window), Baseline: dur(g.Baseline),
			Factor: g.Factor, MinBurst: int32(g.MinBurst), MinStarted: int32(g.MinStarted), MinConversion: g.MinConversion,
			ConversionWindow: dur(g.ConversionWindow), BlockFor: dur(g.BlockFor)}}
	if p.Cooldown != nil {
		out.Cooldown = dur(*p.Cooldown)
	}
	return out
}

func verifyPolicyFromProto(m *ternv1.VerifyPolicy) verify.Policy {
	if m == nil {
		return verify.Policy{}
	}
	g := m.GetPumping()
	p := verify.Policy{Expiry: fromDur(m.GetExpiry()), MaxChecks: int(m.GetMaxChecks()), MaxSends: int(m.GetMaxSends()), SendWindow: fromDur(m.GetSendWindow()),
		CodeLength: int(m.GetCodeLength()), Locale: m.GetLocale(), Brand: m.GetBrand(), From: m.GetFrom(), Countries: m.GetCountries(),
		Domain: m.GetDomain(), AppHash: m.GetAppHash(),
		Pumping: verify.Pumping{Off: g.GetOff(), PrefixDigits: int(g.GetPrefixDigits()), Window: fromDur(g.GetWindow()), Baseline: fromDur(g.GetBaseline()),
			Factor: g.GetFactor(), MinBurst: int(g.GetMinBurst()), MinStarted: int(g.GetMinStarted()), MinConversion: g.GetMinConversion(),
			ConversionWindow: fromDur(g.GetConversionWindow()), BlockFor: fromDur(g.GetBlockFor())}}
	if m.GetCooldown() != nil {
		c := fromDur(m.GetCooldown())
		p.Cooldown = &c
	}
	return p
}
