package quiet

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // answers must not depend on the host's zone files

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/phone"
)

// Config overrides the built-in rules. The zero value keeps them all.
type Config struct {
	// Default replaces the 08:00-21:00 marketing window everywhere.
	Default Window
	// Countries sets the marketing window of a region (ISO 3166-1
	// alpha-2, e.g. "FR").
	Countries map[string]Window
	// Zones sets the zone that decides for a country's numbers whose
	// zones' windows do not overlap, or whose zones are unknown. Keys
	// are regions ("CA") or calling codes ("+1"); the region is tried
	// first. Built in: "+1" America/New_York.
	Zones map[string]string
}

// Policy answers when a message may be sent. Build it with New; it is
// immutable and safe for concurrent use.
type Policy struct {
	def       Window
	countries map[string]Window
	zones     map[string]string
	locs      sync.Map // zone name -> *time.Location
}

// New returns the built-in policy with cfg's overrides.
func New(cfg Config) (*Policy, error) {
	p := &Policy{
		def:       DefaultWindow,
		countries: map[string]Window{},
		zones:     map[string]string{"+1": "America/New_York"},
	}
	return p.apply(cfg)
}

// WithTenant returns a policy with a tenant's overrides on top of p.
func (p *Policy) WithTenant(cfg Config) (*Policy, error) {
	q := &Policy{def: p.def, countries: maps.Clone(p.countries), zones: maps.Clone(p.zones)}
	return q.apply(cfg)
}

func (p *Policy) apply(cfg Config) (*Policy, error) {
	if !cfg.Default.IsZero() {
		if err := cfg.Default.Validate(); err != nil {
			return nil, fmt.Errorf("default window: %w", err)
		}
		p.def = cfg.Default
	}
	for c, w := range cfg.Countries {
		if err := w.Validate(); err != nil {
			return nil, fmt.Errorf("window of %s: %w", c, err)
		}
		p.countries[strings.ToUpper(c)] = w
	}
	for c, z := range cfg.Zones {
		if _, err := p.location(z); err != nil {
			return nil, fmt.Errorf("zone of %s: %w", c, err)
		}
		p.zones[strings.ToUpper(c)] = z
	}
	return p, nil
}

func (p *Policy) location(name string) (*time.Location, error) {
	if l, ok := p.locs.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil || name == "" || name == "Local" {
		return nil, fmt.Errorf("%q: %w", name, ErrZone)
	}
	p.locs.Store(name, l)
	return l, nil
}

// Decision is the answer for one message.
type Decision struct {
	// Allowed tells whether the message may be sent at the asked time.
	Allowed bool
	// NextAllowed is the asked time when allowed, else the first instant
	// after it when sending is allowed; in UTC.
	NextAllowed time.Time
	// TimeZone names the zone or zones that decided, comma-separated.
	TimeZone string
	// Window is the local window that applied; zero for messages that are
	// not restricted.
	Window Window
}

// Window returns the marketing window for a region.
func (p *Policy) Window(region string) Window {
	if w, ok := p.countries[strings.ToUpper(region)]; ok {
		return w
	}
	return p.def
}

// Check answers whether a message of category cat may reach n at at.
func (p *Policy) Check(at time.Time, cat core.Category, n phone.Number) Decision {
	at = at.UTC()
	zones := p.zonesOf(n)
	if cat.Normalize() != core.CategoryMarketing {
		return Decision{Allowed: true, NextAllowed: at, TimeZone: names(zones)}
	}
	w := p.Window(n.Region)
	if next, ok := nextAllowed(at, zones, w); ok {
		return Decision{Allowed: next.Equal(at), NextAllowed: next, TimeZone: names(zones), Window: w}
	}
	// The zones' windows never overlap: one zone decides.
	one := []*time.Location{p.fallback(n, zones)}
	next, _ := nextAllowed(at, one, w)
	return Decision{Allowed: next.Equal(at), NextAllowed: next, TimeZone: names(one), Window: w}
}

// zonesOf loads the zones of n, or the fallback zone when it has none.
func (p *Policy) zonesOf(n phone.Number) []*time.Location {
	var locs []*time.Location
	for _, z := range n.TimeZones {
		if l, err := p.location(z); err == nil {
			locs = append(locs, l)
		}
	}
	if len(locs) == 0 {
		locs = append(locs, p.fallback(n, nil))
	}
	return locs
}

// fallback returns the configured zone of n's region or calling code,
// else the first of zones, else UTC.
func (p *Policy) fallback(n phone.Number, zones []*time.Location) *time.Location {
	for _, k := range []string{strings.ToUpper(n.Region), fmt.Sprintf("+%d", n.CountryCode)} {
		if z, ok := p.zones[k]; ok && k != "" {
			if l, err := p.location(z); err == nil {
				return l
			}
		}
	}
	if len(zones) > 0 {
		return zones[0]
	}
	return time.UTC
}

func names(locs []*time.Location) string {
	s := make([]string, len(locs))
	for i, l := range locs {
		s[i] = l.String()
	}
	return strings.Join(s, ",")
}

// allowedAt reports whether t is inside w in every zone.
func allowedAt(t time.Time, zones []*time.Location, w Window) bool {
	for _, l := range zones {
		lt := t.In(l)
		if !w.Contains(ClockOf(lt.Hour(), lt.Minute())) {
			return false
		}
	}
	return true
}

// horizon is how far ahead nextAllowed looks: past it, the zones'
// windows are taken not to overlap.
const horizon = 72 * time.Hour

// nextAllowed returns the first instant at or after at inside w in every
// zone. The allowed set of each zone starts at a window start or at a
// zone transition (a DST change can open it), so those instants, and at
// itself, are the only candidates.
func nextAllowed(at time.Time, zones []*time.Location, w Window) (time.Time, bool) {
	if allowedAt(at, zones, w) {
		return at, true
	}
	end := at.Add(horizon)
	var cands []time.Time
	for _, l := range zones {
		lt := at.In(l)
		for d := -1; d <= 3; d++ {
			cands = append(cands, time.Date(lt.Year(), lt.Month(), lt.Day()+d, int(w.Start)/60, int(w.Start)%60, 0, 0, l))
		}
		for t := at; t.Before(end); {
			_, next := t.In(l).ZoneBounds()
			if next.IsZero() || !next.After(t) {
				break
			}
			cands = append(cands, next)
			t = next
		}
	}
	slices.SortFunc(cands, func(a, b time.Time) int { return a.Compare(b) })
	for _, c := range cands {
		if c.Before(at) || c.After(end) {
			continue
		}
		if allowedAt(c, zones, w) {
			return c.UTC(), true
		}
	}
	return time.Time{}, false
}
