package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/core"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestSendTemplate: a SendRequest may name a stored template and its
// variables instead of a body.
func TestSendTemplate(t *testing.T) {
	t.Parallel()
	a := serveCampaignAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tc := ternv1connect.NewTemplateServiceClient(&http.Client{}, "http://"+a.addr, connect.WithProtoJSON(), withKey)
	tp, err := tc.CreateTemplate(ctx, connect.NewRequest(&ternv1.CreateTemplateRequest{Template: &ternv1.Template{Name: "shipped",
		Category: ternv1.Category_CATEGORY_TRANSACTIONAL, Body: `Hi {{first_name|"there"}}, order {{order}} has shipped`,
		Variants: map[string]string{"es": `Hola {{first_name|"amigo"}}, el pedido {{order}} va en camino`}}}))
	if err != nil {
		t.Fatal(err)
	}
	id := tp.Msg.GetTemplate().GetId()
	mc := ternv1connect.NewMessageServiceClient(&http.Client{}, "http://"+a.addr, connect.WithProtoJSON(), withKey)
	if _, err := mc.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: "+14155552671", TemplateId: id, Language: "es-MX",
		Variables: map[string]string{"order": "#4582"}})); err != nil {
		t.Fatal(err)
	}
	a.sent.mu.Lock()
	got := a.sent.reqs[len(a.sent.reqs)-1]
	a.sent.mu.Unlock()
	if got.Body != "Hola amigo, el pedido #4582 va en camino" || got.Category != core.CategoryTransactional || got.TenantID != "shop-1" {
		t.Fatalf("sent %+v", got)
	}
	for _, tt := range []struct {
		req  *ternv1.SendRequest
		code connect.Code
		text string
	}{
		{&ternv1.SendRequest{To: "+14155552671", TemplateId: id}, connect.CodeInvalidArgument, `variables: variable "order"`},
		{&ternv1.SendRequest{To: "+14155552671", TemplateId: id, Body: "x"}, connect.CodeInvalidArgument, "body: give a body or a template_id"},
		{&ternv1.SendRequest{To: "+14155552671", TemplateId: "tpl_none"}, connect.CodeNotFound, "template"},
	} {
		if _, err := mc.Send(ctx, connect.NewRequest(tt.req)); connect.CodeOf(err) != tt.code || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("Send(%v) = %v, want %v %q", tt.req, err, tt.code, tt.text)
		}
	}
}
