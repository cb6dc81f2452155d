package tmpl

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ternsms/tern/core/gsm"
)

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		vars []Var
		want error
	}{
		{"ok", "Hi {{first_name|there}}, order {{ order_id }} shipped.", []Var{{Name: "first_name"}, {Name: "order_id"}}, nil},
		{"no placeholders", "Your code is ready.", nil, nil},
		{"lone closing braces are text", "a }} b", nil, nil},
		{"undeclared", "Hi {{first_name}}", nil, ErrUndeclared},
		{"unclosed", "Hi {{first_name", []Var{{Name: "first_name"}}, ErrSyntax},
		{"empty placeholder", "Hi {{}}", nil, ErrSyntax},
		{"bad name", "Hi {{1st}}", []Var{{Name: "first"}}, ErrSyntax},
		{"nested", "Hi {{a{{b}}}}", []Var{{Name: "a"}, {Name: "b"}}, ErrSyntax},
		{"duplicate declaration", "x", []Var{{Name: "a"}, {Name: "a"}}, ErrVar},
		{"bad declared name", "x", []Var{{Name: "a b"}}, ErrVar},
		{"negative max", "x", []Var{{Name: "a", MaxLen: -1}}, ErrVar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.text, tt.vars)
			if !errors.Is(err, tt.want) {
				t.Fatalf("New error %v, want %v", err, tt.want)
			}
			if errors.Is(err, ErrUndeclared) && !strings.Contains(err.Error(), `"first_name"`) {
				t.Fatalf("error %q does not name the variable", err)
			}
		})
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	tp, err := New("Hi {{first_name|there}}, order #{{order_id}} ships {{when | soon}}.",
		[]Var{{Name: "first_name", MaxLen: 20}, {Name: "order_id", MaxLen: 10}, {Name: "when"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		values  map[string]string
		want    string
		enc     gsm.Encoding
		wantErr error
	}{
		{"all values", map[string]string{"first_name": "Sara", "order_id": "4582", "when": "today"}, "Hi Sara, order #4582 ships today.", gsm.GSM7, nil},
		{"defaults", map[string]string{"order_id": "4582"}, "Hi there, order #4582 ships soon.", gsm.GSM7, nil},
		{"empty value takes default", map[string]string{"first_name": "", "order_id": "1"}, "Hi there, order #1 ships soon.", gsm.GSM7, nil},
		{"unicode value", map[string]string{"first_name": "Zoë", "order_id": "1"}, "Hi Zoë, order #1 ships soon.", gsm.UCS2, nil},
		{"missing without default", map[string]string{"first_name": "Sara"}, "", 0, ErrMissing},
		{"too long", map[string]string{"order_id": "12345678901"}, "", 0, ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tp.Render(tt.values, gsm.Options{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Render error %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), `"order_id"`) {
					t.Fatalf("error %q does not name the variable", err)
				}
				return
			}
			if got.Text != tt.want || got.Encoding != tt.enc || got.Info != gsm.Analyze(tt.want, gsm.Options{}) {
				t.Fatalf("Render = %+v, want %q in %v", got, tt.want, tt.enc)
			}
		})
	}
}

func TestWorst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		text     string
		vars     []Var
		enc      gsm.Encoding
		units    int
		segments int
		wantErr  error
	}{
		// 6 literal septets + 20 characters of two septets.
		{"gsm", "Hi {{name}}!", []Var{{Name: "name", MaxLen: 20}}, gsm.GSM7, 44, 1, nil},
		{"gsm crosses 160", strings.Repeat("x", 100) + "{{name}}", []Var{{Name: "name", MaxLen: 31}}, gsm.GSM7, 162, 2, nil},
		{"unicode variable", "Hi {{name}}!", []Var{{Name: "name", MaxLen: 30, Unicode: true}}, gsm.UCS2, 64, 1, nil},
		{"unicode literal", "Привет {{name}}", []Var{{Name: "name", MaxLen: 10}}, gsm.UCS2, 17, 1, nil},
		{"default longer than max", "{{name|a very long default}}", []Var{{Name: "name", MaxLen: 3}}, gsm.GSM7, 38, 1, nil},
		{"unbounded", "Hi {{name}}", []Var{{Name: "name"}}, 0, 0, 0, ErrUnbounded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp, err := New(tt.text, tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tp.Worst(gsm.Options{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Worst error %v, want %v", err, tt.wantErr)
			}
			if err == nil && (got.Encoding != tt.enc || got.Units != tt.units || got.Segments != tt.segments) {
				t.Fatalf("Worst = %+v, want %v %d units %d segments", got, tt.enc, tt.units, tt.segments)
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	t.Parallel()
	got, err := Placeholders("{{b}} {{a|x}} {{b}} {{c.d}}")
	if err != nil || !reflect.DeepEqual(got, []string{"b", "a", "c.d"}) {
		t.Fatalf("Placeholders = %v, %v", got, err)
	}
}

// FuzzTemplate checks that the parser never panics and that a template
// that parses renders every placeholder.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"Hi {{first_name|there}}, order {{order_id}} shipped.",
		"{{", "}}", "{{}}", "{{a|}}", "{{ a | b | c }}", "{{{{a}}}}", "€{{x}}😀",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		names, err := Placeholders(text)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v is not ErrSyntax", err)
			}
			return
		}
		vars := make([]Var, len(names))
		values := map[string]string{}
		for i, n := range names {
			vars[i] = Var{Name: n, MaxLen: 5}
			values[n] = "x"
		}
		tp, err := New(text, vars)
		if err != nil {
			t.Fatalf("New after Placeholders: %v", err)
		}
		r, err := tp.Render(values, gsm.Options{})
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if strings.Count(text, "{{") > 0 && strings.Contains(r.Text, "{{x}}") {
			t.Fatalf("placeholder left in %q", r.Text)
		}
		if _, err := tp.Worst(gsm.Options{}); err != nil {
			t.Fatalf("Worst: %v", err)
		}
	})
}

func BenchmarkRender(b *testing.B) {
	tp, _ := New("Hi {{first_name|there}}, your order #{{order_id}} is out for delivery today. Track it: {{link}}",
		[]Var{{Name: "first_name", MaxLen: 30}, {Name: "order_id", MaxLen: 12}, {Name: "link", MaxLen: 40}})
	values := map[string]string{"first_name": "Sara", "order_id": "84219", "link": "https://t.example/x7Qp2"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tp.Render(values, gsm.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestQuotedDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		values     map[string]string
		want       string
	}{
		{"quoted", `Hi {{first_name|"there"}}!`, nil, "Hi there!"},
		{"quoted keeps spaces", `Hi{{first_name|" dear customer "}}!`, nil, "Hi dear customer !"},
		{"quoted with a bar", `{{first_name|"a|b"}}`, nil, "a|b"},
		{"empty quoted", `Hi {{first_name|""}}!`, nil, "Hi !"},
		{"value wins", `Hi {{first_name|"there"}}!`, map[string]string{"first_name": "Sara"}, "Hi Sara!"},
		{"bare default as before", `Hi {{first_name|there}}!`, nil, "Hi there!"},
		{"lone quote stays", `Hi {{first_name|"}}!`, nil, `Hi "!`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp, err := New(tt.text, []Var{{Name: "first_name", MaxLen: 20}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tp.Render(tt.values, gsm.Options{})
			if err != nil || got.Text != tt.want {
				t.Fatalf("Render = %q, %v; want %q", got.Text, err, tt.want)
			}
		})
	}
}
