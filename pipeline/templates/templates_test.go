package templates

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/tmpl"
	"github.com/ternsms/tern/pipeline/pgtest"
)

func TestTemplates(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, pgtest.URL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v1, err := s.Create(ctx, Template{Tenant: "shop-1", Name: "spring sale", Category: core.CategoryMarketing,
		Body: `Hi {{first_name|"there"}}, 20% off: https://shop.example/s`, Variants: map[string]string{"es": `Hola {{first_name|"amigo"}}`},
		Vars: []tmpl.Var{{Name: "first_name", MaxLen: 30}}})
	if err != nil || v1.Version != 1 || !strings.HasPrefix(v1.ID, "tpl_") {
		t.Fatalf("Create = %+v, %v", v1, err)
	}
	v2, err := s.Update(ctx, Template{Tenant: "shop-1", ID: v1.ID, Category: core.CategoryMarketing, Body: "Second text"})
	if err != nil || v2.Version != 2 || v2.Name != "spring sale" {
		t.Fatalf("Update = %+v, %v", v2, err)
	}
	got, err := s.Get(ctx, "shop-1", v1.ID, 1)
	if err != nil || got.Body != v1.Body || got.Variants["es"] == "" || len(got.Vars) != 1 || got.Vars[0].MaxLen != 30 || got.Category != core.CategoryMarketing {
		t.Fatalf("Get version 1 = %+v, %v", got, err)
	}
	if latest, err := s.Get(ctx, "shop-1", v1.ID, 0); err != nil || latest.Version != 2 {
		t.Fatalf("Get latest = %+v, %v", latest, err)
	}
	if _, err := s.Get(ctx, "shop-2", v1.ID, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant reads the template: %v", err)
	}
	if _, err := s.Create(ctx, Template{Tenant: "shop-1", Name: "spring sale", Body: "x"}); !errors.Is(err, ErrExists) {
		t.Fatalf("same name: %v", err)
	}
	bad := []struct {
		t    Template
		want string
	}{
		{Template{Tenant: "shop-1", Body: "x"}, "name:"},
		{Template{Tenant: "shop-1", Name: "a"}, "body:"},
		{Template{Tenant: "shop-1", Name: "a", Body: "Hi {{name"}, "body: unclosed"},
		{Template{Tenant: "shop-1", Name: "a", Body: "Hi", Variants: map[string]string{"fr": "Salut {{1}}"}}, "bodies[fr]:"},
		{Template{Tenant: "shop-1", Name: "a", Body: "Hi", Variants: map[string]string{"f r": "x"}}, "variants:"},
		{Template{Tenant: "shop-1", Name: "a", Body: "Hi", Vars: []tmpl.Var{{Name: "1x"}}}, "variables:"},
	}
	for _, b := range bad {
		if _, err := s.Create(ctx, b.t); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Create(%+v) = %v, want %q", b.t, err, b.want)
		}
	}
	list, err := s.List(ctx, "shop-1")
	if err != nil || len(list) != 1 || list[0].Version != 2 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if err := s.Delete(ctx, "shop-1", v1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "shop-1", v1.ID, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted template: %v", err)
	}
}
