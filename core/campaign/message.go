package campaign

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/link"
	"github.com/ternsms/tern/core/tmpl"
)

// Spec is a template version as stored.
type Spec struct {
	// Bodies maps a language ("en", "pt-BR"; matched without regard to
	// case) to its text; "" is the default text, which is required.
	Bodies map[string]string
	// Vars declares variables' maximum lengths; a placeholder not
	// declared here is declared without one.
	Vars []tmpl.Var
	// Marketing texts get the tenant's opt-out footer.
	Marketing bool
}

// Message is a template version ready to render for many recipients.
// It is immutable and safe for concurrent use.
type Message struct {
	variants map[string]*tmpl.Template // by lower-case language
	links    []string
	coding   gsm.Options
}

// Compile prepares spec for rendering: the footer of policy (WithDefaults
// applied) ends each marketing variant, and every URL in the texts is
// taken out for a per-recipient short link under linkBase ("" keeps the
// URLs as written). Errors wrap ErrTemplate and name the problem.
func Compile(spec Spec, policy consent.Policy, linkBase string, coding gsm.Options) (*Message, error) {
	if strings.TrimSpace(spec.Bodies[""]) == "" {
		return nil, fmt.Errorf("%w: body: the default text is required", ErrTemplate)
	}
	declared := map[string]tmpl.Var{}
	for _, v := range spec.Vars {
		if link.IsPlaceholder(v.Name) {
			return nil, fmt.Errorf("%w: variable %q: names starting with _link. are reserved", ErrTemplate, v.Name)
		}
		declared[v.Name] = v
	}
	m := &Message{variants: map[string]*tmpl.Template{}, coding: coding}
	langs := slices.Sorted(func(yield func(string) bool) {
		for l := range spec.Bodies {
			if !yield(l) {
				return
			}
		}
	})
	texts := map[string]string{}
	for _, lang := range langs {
		text := spec.Bodies[lang]
		if spec.Marketing {
			text = policy.WithFooter(text)
		}
		if linkBase != "" {
			text, m.links = link.Replace(text, m.links)
		}
		texts[lang] = text
	}
	shortLen := len(link.Short(linkBase, strings.Repeat("x", link.CodeLen)))
	for _, lang := range langs {
		t, err := compileVariant(texts[lang], declared, shortLen)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrTemplate, variantName(lang), err)
		}
		m.variants[strings.ToLower(lang)] = t
	}
	return m, nil
}

func variantName(lang string) string {
	if lang == "" {
		return "body"
	}
	return "bodies[" + lang + "]"
}

// compileVariant declares text's placeholders, with their declared
// maximum lengths, and parses it.
func compileVariant(text string, declared map[string]tmpl.Var, shortLen int) (*tmpl.Template, error) {
	names, err := tmpl.Placeholders(text)
	if err != nil {
		return nil, err
	}
	vars := make([]tmpl.Var, 0, len(names))
	for _, n := range names {
		v, ok := declared[n]
		if !ok {
			v = tmpl.Var{Name: n}
		}
		if link.IsPlaceholder(n) {
			v = tmpl.Var{Name: n, MaxLen: shortLen}
		}
		vars = append(vars, v)
	}
	return tmpl.New(text, vars)
}

// Links are the URLs taken out of the texts; link i of a recipient's
// text is the short link of Links()[i].
func (m *Message) Links() []string { return m.links }

// variant returns the text for language: an exact match, else its base
// language ("pt" for "pt-BR"), else the default.
func (m *Message) variant(language string) *tmpl.Template {
	l := strings.ToLower(language)
	if t, ok := m.variants[l]; ok && l != "" {
		return t
	}
	if base, _, ok := strings.Cut(strings.ReplaceAll(l, "_", "-"), "-"); ok {
		if t, ok := m.variants[base]; ok {
			return t
		}
	}
	return m.variants[""]
}

// Render makes one recipient's text in its language from values (the
// contact's fields and attributes), with shortLinks[i] for link i.
// values gains the link entries.
func (m *Message) Render(language string, values map[string]string, shortLinks []string) (tmpl.Rendered, error) {
	if len(shortLinks) != len(m.links) {
		return tmpl.Rendered{}, fmt.Errorf("%d short links for %d links", len(shortLinks), len(m.links))
	}
	for i, s := range shortLinks {
		values[link.Placeholder(i)] = s
	}
	return m.variant(language).Render(values, m.coding)
}

// Worst is the costliest text any variant can make, when every variable
// declares a maximum length (tmpl.ErrUnbounded otherwise).
func (m *Message) Worst() (gsm.Info, error) {
	var worst gsm.Info
	for _, t := range m.variants {
		w, err := t.Worst(m.coding)
		if err != nil {
			return gsm.Info{}, err
		}
		if w.Segments > worst.Segments || w.Segments == worst.Segments && w.Units > worst.Units {
			worst = w
		}
	}
	return worst, nil
}
