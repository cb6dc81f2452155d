package api

import (
	"context"
	"log/slog"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/price"
	"github.com/ternsms/tern/core/tmpl"
	"github.com/ternsms/tern/pipeline/campaigns"
	"github.com/ternsms/tern/pipeline/contacts"
	"github.com/ternsms/tern/pipeline/templates"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TemplateStore keeps templates; templates.Store is one.
type TemplateStore interface {
	Create(ctx context.Context, t templates.Template) (templates.Template, error)
	Update(ctx context.Context, t templates.Template) (templates.Template, error)
	Get(ctx context.Context, tenant, id string, version int) (templates.Template, error)
	List(ctx context.Context, tenant string) ([]templates.Template, error)
	Delete(ctx context.Context, tenant, id string) error
}

// Estimator tells what a template costs; campaigns.Store is one.
type Estimator interface {
	EstimateTemplate(ctx context.Context, tenant string, t templates.Template, f campaigns.EstimateFor) (campaigns.Estimate, error)
}

// TemplateDeps are what the template service calls.
type TemplateDeps struct {
	Templates TemplateStore
	Estimator Estimator
	// Book finds the contact an estimate names.
	Book ContactBook
	Log  *slog.Logger
}

type templateService struct{ d TemplateDeps }

var _ ternv1connect.TemplateServiceHandler = (*templateService)(nil)

// NewTemplateService returns the TemplateService handler over d.
func NewTemplateService(d TemplateDeps) ternv1connect.TemplateServiceHandler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &templateService{d: d}
}

func (s *templateService) CreateTemplate(ctx context.Context, req *connect.Request[ternv1.CreateTemplateRequest]) (*connect.Response[ternv1.CreateTemplateResponse], error) {
	t := templateFromProto(req.Msg.GetTemplate())
	t.Tenant = tenantFrom(ctx)
	got, err := s.d.Templates.Create(ctx, t)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.CreateTemplateResponse{Template: templateProto(got)}), nil
}

func (s *templateService) UpdateTemplate(ctx context.Context, req *connect.Request[ternv1.UpdateTemplateRequest]) (*connect.Response[ternv1.UpdateTemplateResponse], error) {
	t := templateFromProto(req.Msg.GetTemplate())
	t.Tenant, t.ID = tenantFrom(ctx), req.Msg.GetTemplate().GetId()
	got, err := s.d.Templates.Update(ctx, t)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.UpdateTemplateResponse{Template: templateProto(got)}), nil
}

func (s *templateService) GetTemplate(ctx context.Context, req *connect.Request[ternv1.GetTemplateRequest]) (*connect.Response[ternv1.GetTemplateResponse], error) {
	t, err := s.d.Templates.Get(ctx, tenantFrom(ctx), req.Msg.GetId(), int(req.Msg.GetVersion()))
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.GetTemplateResponse{Template: templateProto(t)}), nil
}

func (s *templateService) ListTemplates(ctx context.Context, _ *connect.Request[ternv1.ListTemplatesRequest]) (*connect.Response[ternv1.ListTemplatesResponse], error) {
	ts, err := s.d.Templates.List(ctx, tenantFrom(ctx))
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	out := &ternv1.ListTemplatesResponse{}
	for _, t := range ts {
		out.Templates = append(out.Templates, templateProto(t))
	}
	return connect.NewResponse(out), nil
}

func (s *templateService) DeleteTemplate(ctx context.Context, req *connect.Request[ternv1.DeleteTemplateRequest]) (*connect.Response[ternv1.DeleteTemplateResponse], error) {
	if err := s.d.Templates.Delete(ctx, tenantFrom(ctx), req.Msg.GetId()); err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.DeleteTemplateResponse{}), nil
}

func (s *templateService) EstimateTemplate(ctx context.Context, req *connect.Request[ternv1.EstimateTemplateRequest]) (*connect.Response[ternv1.EstimateTemplateResponse], error) {
	m, tenant := req.Msg, tenantFrom(ctx)
	t := templateFromProto(m.GetTemplate())
	if m.GetTemplateId() != "" {
		var err error
		if t, err = s.d.Templates.Get(ctx, tenant, m.GetTemplateId(), int(m.GetVersion())); err != nil {
			return nil, connectError(s.d.Log, err)
		}
	} else if m.GetTemplate() == nil {
		return nil, connectError(s.d.Log, &templates.FieldError{Field: "template_id", Reason: "a stored template or an unsaved one is required"})
	}
	var f campaigns.EstimateFor
	switch {
	case len(m.GetListIds()) > 0 || m.GetSegmentId() != 0 || m.GetFilter() != nil:
		f.Audience = &contacts.Audience{ListIDs: m.GetListIds(), SegmentID: m.GetSegmentId(), Filter: m.GetFilter()}
	case m.GetContactId() != 0:
		c, err := s.d.Book.Get(ctx, tenant, m.GetContactId())
		if err != nil {
			return nil, connectError(s.d.Log, err)
		}
		f.Contact = &c
	default:
		f.Values = m.GetValues()
	}
	e, err := s.d.Estimator.EstimateTemplate(ctx, tenant, t, f)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.EstimateTemplateResponse{Estimate: estimateProto(e)}), nil
}

func templateFromProto(p *ternv1.Template) templates.Template {
	t := templates.Template{Name: p.GetName(), Category: core.Category(p.GetCategory()), Body: p.GetBody(), Variants: p.GetVariants()}
	for _, v := range p.GetVariables() {
		t.Vars = append(t.Vars, tmpl.Var{Name: v.GetName(), MaxLen: int(v.GetMaxLength()), Unicode: v.GetUnicode()})
	}
	return t
}

func templateProto(t templates.Template) *ternv1.Template {
	p := &ternv1.Template{Id: t.ID, Name: t.Name, Version: int32(t.Version), Category: ternv1.Category(t.Category), Body: t.Body,
		Variants: t.Variants, CreatedAt: timestamppb.New(t.Created), VersionCreatedAt: timestamppb.New(t.VersionCreated)}
	for _, v := range t.Vars {
		p.Variables = append(p.Variables, &ternv1.TemplateVariable{Name: v.Name, MaxLength: int32(v.MaxLen), Unicode: v.Unicode})
	}
	return p
}

func estimateProto(e campaigns.Estimate) *ternv1.CostEstimate {
	out := &ternv1.CostEstimate{Recipients: e.Recipients, Sampled: e.Sampled, AverageSegments: e.AvgSegments,
		RenderFailures: e.RenderFailures, SampleText: e.SampleText}
	if e.Worst.Segments > 0 {
		out.Worst = &ternv1.MessageCost{Encoding: ternv1.Encoding(e.Worst.Encoding), Units: int32(e.Worst.Units), Segments: int32(e.Worst.Segments)}
	}
	if !e.Priced {
		return out
	}
	m := func(a price.Amount) *ternv1.Money { return &ternv1.Money{Currency: e.Currency, Micros: int64(a)} }
	if out.Worst != nil {
		out.Worst.Price = m(e.WorstPrice)
	}
	out.AveragePrice, out.TotalWorst, out.TotalAverage = m(e.AvgPrice), m(e.TotalWorst), m(e.TotalAverage)
	return out
}
