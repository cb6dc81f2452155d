package router

import "strings"

// table finds a destination's route: longest prefix, then country, then
// the "*" route.
type table struct {
	prefixes  map[string]*tableRoute
	maxPrefix int
	countries map[string]*tableRoute
	fallback  *tableRoute
}

// tableRoute is a route with its breakers in the order they are tried.
type tableRoute struct {
	match    string
	carriers []RouteCarrier
	breakers []*breaker
	names    string // for errors: "a, b"
}

func newTable(routes []resolvedRoute, byName map[string]*breaker) *table {
	t := &table{prefixes: map[string]*tableRoute{}, countries: map[string]*tableRoute{}}
	for _, r := range routes {
		tr := &tableRoute{match: r.match, carriers: r.carriers}
		names := make([]string, len(r.carriers))
		for i, rc := range r.carriers {
			tr.breakers = append(tr.breakers, byName[rc.Name])
			names[i] = rc.Name
		}
		tr.names = strings.Join(names, ", ")
		switch r.kind {
		case matchPrefix:
			t.prefixes[r.match] = tr
			t.maxPrefix = max(t.maxPrefix, len(r.match))
		case matchCountry:
			t.countries[r.match] = tr
		default:
			t.fallback = tr
		}
	}
	return t
}

// lookup returns the route for to, an E.164 number, or nil. region is
// called only when a country route could match.
func (t *table) lookup(to string, region func(string) string) *tableRoute {
	if len(t.prefixes) > 0 {
		p := to
		if !strings.HasPrefix(p, "+") {
			p = "+" + p
		}
		for n := min(len(p), t.maxPrefix); n >= 2; n-- {
			if r, ok := t.prefixes[p[:n]]; ok {
				return r
			}
		}
	}
	if len(t.countries) > 0 {
		if r, ok := t.countries[region(to)]; ok {
			return r
		}
	}
	return t.fallback
}
