package flow

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ternsms/tern/core/quiet"
	"github.com/ternsms/tern/core/tmpl"
)

// Bounds on a tenant's settings.
const (
	MinDelay       = time.Minute
	MaxDelay       = 35 * 24 * time.Hour
	MinInactiveFor = 24 * time.Hour
	MaxInactiveFor = 365 * 24 * time.Hour
	MaxTemplate    = 1600
)

// Settings are a tenant's choices over a catalogue flow. Missing
// entries keep the catalogue's defaults.
type Settings struct {
	Enabled bool
	// Templates maps a send step to its text.
	Templates map[string]string
	// Delays maps a wait step to its delay.
	Delays map[string]time.Duration
	// Times maps a wait-until step to its local time of day.
	Times map[string]quiet.Clock
	// InactiveFor is win-back's lapse; 0 keeps the default.
	InactiveFor time.Duration
}

// Change is what a configure call asks: an empty template, a zero delay
// or an empty time of day restores that step's default; a zero
// InactiveFor keeps the current one.
type Change struct {
	Templates   map[string]string
	Delays      map[string]time.Duration
	Times       map[string]string
	InactiveFor time.Duration
}

// Merge returns s with c applied, checked against f; the first problem
// is a *FieldError naming the setting ("templates.reminder").
func (s Settings) Merge(f Flow, c Change) (Settings, error) {
	out := Settings{Enabled: s.Enabled, Templates: maps.Clone(s.Templates), Delays: maps.Clone(s.Delays), Times: maps.Clone(s.Times),
		InactiveFor: s.InactiveFor}
	if out.Templates == nil {
		out.Templates = map[string]string{}
	}
	if out.Delays == nil {
		out.Delays = map[string]time.Duration{}
	}
	if out.Times == nil {
		out.Times = map[string]quiet.Clock{}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Templates)) {
		text, field := c.Templates[name], "templates."+name
		if err := f.stepIs(name, Send, field); err != nil {
			return s, err
		}
		if text == "" {
			delete(out.Templates, name)
			continue
		}
		if _, err := Compile(text); err != nil {
			return s, invalid(field, err.Error())
		}
		out.Templates[name] = text
	}
	for _, name := range slices.Sorted(maps.Keys(c.Delays)) {
		d, field := c.Delays[name], "delays."+name
		if err := f.stepIs(name, Wait, field); err != nil {
			return s, err
		}
		switch {
		case d == 0:
			delete(out.Delays, name)
		case d < MinDelay || d > MaxDelay:
			return s, invalid(field, "1 minute to 35 days")
		default:
			out.Delays[name] = d
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Times)) {
		text, field := c.Times[name], "times_of_day."+name
		if err := f.stepIs(name, WaitUntil, field); err != nil {
			return s, err
		}
		if text == "" {
			delete(out.Times, name)
			continue
		}
		clock, err := ParseClock(text)
		if err != nil {
			return s, invalid(field, `a local time "HH:MM" from 00:00 to 23:59`)
		}
		out.Times[name] = clock
	}
	if d := c.InactiveFor; d != 0 {
		switch {
		case f.ID != WinBack:
			return s, invalid("inactive_for", "only win-back has it")
		case d < MinInactiveFor || d > MaxInactiveFor:
			return s, invalid("inactive_for", "1 to 365 days")
		}
		out.InactiveFor = d
	}
	return out, nil
}

// stepIs checks that f has a step name of kind.
func (f Flow) stepIs(name string, kind StepKind, field string) error {
	for _, st := range f.Steps {
		if st.Name == name {
			if st.Kind != kind {
				return invalid(field, fmt.Sprintf("step %q is not a %s step", name, kindNames[kind]))
			}
			return nil
		}
	}
	return invalid(field, fmt.Sprintf("%s has no step %q", f.ID, name))
}

var kindNames = map[StepKind]string{Wait: "wait", WaitUntil: "wait-until", Send: "send", Branch: "branch"}

// Apply returns f with s's templates, delays, times and lapse.
func (f Flow) Apply(s Settings) Flow {
	f.Steps = slices.Clone(f.Steps)
	for i := range f.Steps {
		st := &f.Steps[i]
		if t, ok := s.Templates[st.Name]; ok && st.Kind == Send {
			st.Template = t
		}
		if d, ok := s.Delays[st.Name]; ok && st.Kind == Wait {
			st.Delay = d
		}
		if c, ok := s.Times[st.Name]; ok && st.Kind == WaitUntil {
			st.At = c
		}
	}
	if s.InactiveFor > 0 && f.ID == WinBack {
		f.InactiveFor = s.InactiveFor
	}
	return f
}

// Compile parses a step's template: its placeholders must be Variables
// or attributes ("attributes.NAME").
func Compile(text string) (*tmpl.Template, error) {
	if utf8.RuneCountInString(text) > MaxTemplate {
		return nil, fmt.Errorf("longer than %d characters", MaxTemplate)
	}
	names, err := tmpl.Placeholders(text)
	if err != nil {
		return nil, err
	}
	vars := make([]tmpl.Var, 0, len(names))
	for _, n := range names {
		if !slices.Contains(Variables, n) && !strings.HasPrefix(n, AttributePrefix) {
			return nil, fmt.Errorf("variable %q is not one a flow offers (%s, or attributes.NAME)", n, strings.Join(Variables, ", "))
		}
		vars = append(vars, tmpl.Var{Name: n})
	}
	return tmpl.New(text, vars)
}

// ParseClock reads "HH:MM", 00:00 to 23:59.
func ParseClock(s string) (quiet.Clock, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(m) != 2 || len(h) == 0 || len(h) > 2 || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q: %w", s, ErrInvalid)
	}
	return quiet.ClockOf(hh, mm), nil
}
