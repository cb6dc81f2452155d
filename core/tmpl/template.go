package tmpl

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ternsms/tern/core/gsm"
)

// Var declares a template variable.
type Var struct {
	Name string
	// MaxLen is the most characters a value may have; 0 for no limit
	// (the template then has no worst case).
	MaxLen int
	// Unicode tells that values may hold characters outside the GSM
	// alphabet (names in other scripts, emoji), which makes the worst
	// case UCS-2.
	Unicode bool
}

// Template is a parsed template. It is immutable and safe for concurrent
// use.
type Template struct {
	nodes []node
	vars  []Var
	index map[string]int
}

// New parses text and checks that it only uses the declared vars.
func New(text string, vars []Var) (*Template, error) {
	t := &Template{vars: vars, index: make(map[string]int, len(vars))}
	for i, v := range vars {
		if !validName(v.Name) {
			return nil, fmt.Errorf("variable %q: %w", v.Name, ErrVar)
		}
		if v.MaxLen < 0 {
			return nil, fmt.Errorf("variable %q has maximum length %d: %w", v.Name, v.MaxLen, ErrVar)
		}
		if _, dup := t.index[v.Name]; dup {
			return nil, fmt.Errorf("variable %q declared twice: %w", v.Name, ErrVar)
		}
		t.index[v.Name] = i
	}
	nodes, err := parse(text)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if n.name != "" {
			if _, ok := t.index[n.name]; !ok {
				return nil, fmt.Errorf("variable %q: %w", n.name, ErrUndeclared)
			}
		}
	}
	t.nodes = nodes
	return t, nil
}

// Vars returns the declared variables.
func (t *Template) Vars() []Var { return t.vars }

// Rendered is a rendered message and what it costs.
type Rendered struct {
	Text string
	gsm.Info
}

// Render fills the placeholders from values and measures the text with
// opt.
func (t *Template) Render(values map[string]string, opt gsm.Options) (Rendered, error) {
	var b strings.Builder
	for _, n := range t.nodes {
		if n.name == "" {
			b.WriteString(n.lit)
			continue
		}
		v := values[n.name]
		if v == "" {
			if !n.hasDef {
				return Rendered{}, fmt.Errorf("variable %q: %w", n.name, ErrMissing)
			}
			v = n.def
		} else if max := t.vars[t.index[n.name]].MaxLen; max > 0 && utf8.RuneCountInString(v) > max {
			return Rendered{}, fmt.Errorf("variable %q has %d characters, at most %d: %w",
				n.name, utf8.RuneCountInString(v), max, ErrTooLong)
		}
		b.WriteString(v)
	}
	text := b.String()
	return Rendered{Text: text, Info: gsm.Analyze(text, opt)}, nil
}

// Worst returns the cost of the template when every variable holds a
// value of its maximum length made of the costliest characters it may
// hold: extension characters (two septets each) when the message stays
// GSM-7, characters outside the BMP (two UTF-16 units) for Unicode
// variables. Every variable used must declare MaxLen.
func (t *Template) Worst(opt gsm.Options) (gsm.Info, error) {
	var b strings.Builder
	for _, n := range t.nodes {
		if n.name == "" {
			b.WriteString(n.lit)
			continue
		}
		v := t.vars[t.index[n.name]]
		if v.MaxLen == 0 {
			return gsm.Info{}, fmt.Errorf("variable %q: %w", n.name, ErrUnbounded)
		}
		worst := "€" // two septets in GSM-7, one unit in UCS-2
		if v.Unicode {
			worst = "😀" // forces UCS-2, two units
		}
		b.WriteString(strings.Repeat(worst, max(v.MaxLen, utf8.RuneCountInString(n.def))))
	}
	return gsm.Analyze(b.String(), opt), nil
}
