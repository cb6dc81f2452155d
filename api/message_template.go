package api

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/pipeline"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// TemplateRenderer makes a message's text from a stored template, from
// memory; campaigns.Renderer is one.
type TemplateRenderer interface {
	RenderTemplate(ctx context.Context, tenant, id string, version int, language string, values map[string]string) (string, core.Category, error)
}

var errNoTemplates = connect.NewError(connect.CodeUnimplemented, errors.New("template_id: templates are not served here"))

// templateRequest is a SendRequest that names a template: its text is
// the template's, rendered with the request's variables, and its
// category the template's unless the request gives one.
func (s *messageService) templateRequest(ctx context.Context, tenant string, m *ternv1.SendRequest) (pipeline.Request, error) {
	if m.GetBody() != "" {
		return pipeline.Request{}, &pipeline.FieldError{Field: "body", Reason: "give a body or a template_id, not both"}
	}
	if s.d.Renderer == nil {
		return pipeline.Request{}, errNoTemplates
	}
	body, cat, err := s.d.Renderer.RenderTemplate(ctx, tenant, m.GetTemplateId(), int(m.GetTemplateVersion()), m.GetLanguage(), m.GetVariables())
	if err != nil {
		return pipeline.Request{}, err
	}
	r, err := s.request(ctx, tenant, withBody(m, body))
	if m.GetCategory() == ternv1.Category_CATEGORY_UNSPECIFIED {
		r.Category = cat
	}
	return r, err
}

// withBody is m with body in place of its template.
func withBody(m *ternv1.SendRequest, body string) *ternv1.SendRequest {
	return &ternv1.SendRequest{To: m.GetTo(), From: m.GetFrom(), Body: body, CampaignId: m.GetCampaignId(), IdempotencyKey: m.GetIdempotencyKey(),
		Category: m.GetCategory(), SmartEncoding: m.GetSmartEncoding(), ShiftTables: m.GetShiftTables(), SendAt: m.GetSendAt(), Validity: m.GetValidity()}
}
