package campaigns

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/price"
	"github.com/ternsms/tern/core/tmpl"
	"github.com/ternsms/tern/pipeline/contacts"
	"github.com/ternsms/tern/pipeline/templates"
)

func TestEstimate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	eligible := e.seed(t, ctx, 100)
	s := e.open(t, ctx, testLinks, nil)
	tp := saleTemplate(t, ctx, e)
	est, err := s.EstimateTemplate(ctx, "shop-1", tp, EstimateFor{Audience: &contacts.Audience{}})
	if err != nil {
		t.Fatal(err)
	}
	n := int64(len(eligible))
	if est.Recipients != n || est.Sampled != n || est.Worst.Segments != 1 || est.Worst.Encoding != gsm.GSM7 || est.AvgSegments != 1 ||
		!est.Priced || est.Currency != "USD" || est.AvgPrice != 7900 || est.TotalAverage != price.Amount(7900*n) || est.TotalWorst != price.Amount(7900*n) ||
		!strings.HasPrefix(est.SampleText, "Hi ") || !strings.Contains(est.SampleText, "http://127.0.0.1:8080/l/xxxxxxxxxx") {
		t.Fatalf("estimate %+v for %d recipients", est, n)
	}
	// One contact with a long name: two segments; a bounded template has a
	// worst case of its own.
	long := strings.Repeat("Maximilian", 16)
	one, err := s.EstimateTemplate(ctx, "shop-1", tp, EstimateFor{Values: map[string]string{"first_name": long, "phone": "+442079460958"}})
	if err != nil || one.Recipients != 1 || one.Worst.Segments != 2 || one.WorstPrice != 100000 {
		t.Fatalf("one contact: %+v, %v", one, err)
	}
	bounded := templates.Template{Tenant: "shop-1", Category: core.CategoryMarketing, Body: "Hi {{first_name}}!",
		Vars: []tmpl.Var{{Name: "first_name", MaxLen: 100, Unicode: true}}}
	w, err := s.EstimateTemplate(ctx, "shop-1", bounded, EstimateFor{Values: map[string]string{"first_name": "Al"}})
	if err != nil || w.Worst.Encoding != gsm.UCS2 || w.Worst.Segments < 3 || w.AvgSegments != 1 {
		t.Fatalf("bounded worst case %+v, %v", w, err)
	}
	missing, err := s.EstimateTemplate(ctx, "shop-1", bounded, EstimateFor{Values: map[string]string{}})
	if err != nil || missing.RenderFailures != 1 || missing.Sampled != 0 {
		t.Fatalf("a contact without the variable: %+v, %v", missing, err)
	}
	c, err := s.Create(ctx, Campaign{Tenant: "shop-1", Name: "x", TemplateID: tp.ID})
	if err != nil {
		t.Fatal(err)
	}
	aud, sup, ce, err := s.EstimateCampaign(ctx, "shop-1", c.ID)
	if err != nil || aud != 100 || sup != 100-n || ce.Recipients != n {
		t.Fatalf("EstimateCampaign = %d, %d, %+v, %v", aud, sup, ce, err)
	}
}

func TestRenderTemplate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	s := e.open(t, ctx, testLinks, nil)
	tp := saleTemplate(t, ctx, e)
	r := s.NewRenderer()
	text, cat, err := r.RenderTemplate(ctx, "shop-1", tp.ID, 0, "en", map[string]string{"first_name": "Sara"})
	if err != nil || cat != core.CategoryMarketing || text != "Hi Sara, 20% off today: https://shop.example/sale" {
		t.Fatalf("RenderTemplate = %q, %v, %v", text, cat, err)
	}
	if _, err := e.templates.Update(ctx, templates.Template{Tenant: "shop-1", ID: tp.ID, Category: core.CategoryTransactional, Body: "Order {{order}} shipped"}); err != nil {
		t.Fatal(err)
	}
	if text, _, err := r.RenderTemplate(ctx, "shop-1", tp.ID, 1, "", nil); err != nil || !strings.HasPrefix(text, "Hi there") {
		t.Fatalf("version 1 after an update: %q, %v", text, err)
	}
	if _, _, err := r.RenderTemplate(ctx, "shop-1", tp.ID, 2, "", nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `variables: variable "order"`) {
		t.Fatalf("a variable without a value: %v", err)
	}
	if _, _, err := r.RenderTemplate(ctx, "shop-2", tp.ID, 0, "", nil); !errors.Is(err, templates.ErrNotFound) {
		t.Fatalf("another tenant's template: %v", err)
	}
}
