package campaign

import (
	"errors"
	"strings"
	"testing"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/tmpl"
)

func TestMessage(t *testing.T) {
	t.Parallel()
	policy := consent.Policy{OptOutFooter: "{brand}: Reply STOP to opt out"}.WithDefaults("Acme")
	spec := Spec{
		Bodies: map[string]string{
			"":   `Hi {{first_name|"there"}}, 20% off today: https://shop.example/sale`,
			"es": `Hola {{first_name|"amigo"}}, 20% hoy: https://shop.example/sale y https://shop.example/es`,
		},
		Vars:      []tmpl.Var{{Name: "first_name", MaxLen: 20}},
		Marketing: true,
	}
	m, err := Compile(spec, policy, "http://127.0.0.1:8080/l/", gsm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Links(); len(got) != 2 || got[0] != "https://shop.example/sale" || got[1] != "https://shop.example/es" {
		t.Fatalf("links %q", got)
	}
	short := []string{"http://127.0.0.1:8080/l/AAAAAAAAAA", "http://127.0.0.1:8080/l/BBBBBBBBBB"}
	tests := []struct {
		name, lang string
		values     map[string]string
		want       string
	}{
		{"default with a name", "en", map[string]string{"first_name": "Sara"},
			"Hi Sara, 20% off today: http://127.0.0.1:8080/l/AAAAAAAAAA\nAcme: Reply STOP to opt out"},
		{"fallback", "", map[string]string{}, "Hi there, 20% off today: http://127.0.0.1:8080/l/AAAAAAAAAA\nAcme: Reply STOP to opt out"},
		{"language variant by base", "es-MX", map[string]string{"first_name": "Ana"},
			"Hola Ana, 20% hoy: http://127.0.0.1:8080/l/AAAAAAAAAA y http://127.0.0.1:8080/l/BBBBBBBBBB\nAcme: Reply STOP to opt out"},
		{"language variant by case", "ES", map[string]string{}, "Hola amigo, 20% hoy: http://127.0.0.1:8080/l/AAAAAAAAAA y http://127.0.0.1:8080/l/BBBBBBBBBB\nAcme: Reply STOP to opt out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := m.Render(tt.lang, tt.values, short)
			if err != nil || r.Text != tt.want || r.Info != gsm.Analyze(tt.want, gsm.Options{}) {
				t.Fatalf("Render = %q %+v, %v; want %q", r.Text, r.Info, err, tt.want)
			}
		})
	}
	worst, err := m.Worst()
	if err != nil || worst.Segments < 1 {
		t.Fatalf("Worst = %+v, %v", worst, err)
	}
	if _, err := m.Render("", map[string]string{}, short[:1]); err == nil {
		t.Fatal("Render with too few links")
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec Spec
		text string
	}{
		{"no default", Spec{Bodies: map[string]string{"es": "Hola"}}, "body: the default text is required"},
		{"syntax", Spec{Bodies: map[string]string{"": "Hi {{name"}}, "body:"},
		{"variant syntax", Spec{Bodies: map[string]string{"": "Hi", "fr": "Salut {{1x}}"}}, "bodies[fr]:"},
		{"reserved name", Spec{Bodies: map[string]string{"": "Hi"}, Vars: []tmpl.Var{{Name: "_link.0"}}}, "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tt.spec, consent.Policy{}, "", gsm.Options{})
			if !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("Compile = %v, want ErrTemplate naming %q", err, tt.text)
			}
		})
	}
	// Without a link base, URLs stay; transactional texts get no footer.
	m, err := Compile(Spec{Bodies: map[string]string{"": "Track: https://t.example/1"}}, consent.Policy{OptOutFooter: "STOP"}, "", gsm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := m.Render("", map[string]string{}, nil); err != nil || r.Text != "Track: https://t.example/1" {
		t.Fatalf("Render = %q, %v", r.Text, err)
	}
	if _, err := m.Worst(); err != nil {
		t.Fatalf("Worst of a text without variables: %v", err)
	}
}
