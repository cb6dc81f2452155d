package router

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Config is the carriers, the routes across them and their breakers.
// LoadConfig reads it from a file; FromSpecs from --carrier and --route
// flags. Zero values take the documented defaults.
type Config struct {
	// Carriers are the carriers tern connects to; at least one. Names
	// are unique.
	Carriers []CarrierConfig
	// Routes choose carriers per destination. Without routes, a single
	// carrier serves every destination; several carriers need routes.
	// Matches are unique.
	Routes []Route
	// Breaker sets every carrier's circuit breaker.
	Breaker BreakerConfig
}

// BreakerConfig sets the circuit breaker of each carrier. A breaker
// counts submits that went wrong in a way that says the carrier is not
// working: no answer (in doubt), no usable connection, or a retriable
// system error such as ESME_RSYSERR. Refusals of one message (an invalid
// destination), throttling and the caller giving up count for nothing.
type BreakerConfig struct {
	// Failures is how many consecutive failures open a breaker, when they
	// are also at least half of its last 100 outcomes within 10 s. An open
	// breaker sends no traffic: its routes fail over to their next
	// carrier. Default 5.
	Failures int
	// OpenTimeout is how long a breaker stays open before it lets probes
	// through (half-open). Default 10s.
	OpenTimeout time.Duration
	// Probes is how many submits a half-open breaker lets through at
	// once. That many consecutive successes close it; any failure opens
	// it again. Default 1.
	Probes int
}

// Breaker defaults.
const (
	DefaultFailures    = 5
	DefaultOpenTimeout = 10 * time.Second
	DefaultProbes      = 1
)

func (b BreakerConfig) withDefaults() BreakerConfig {
	b.Failures = cmp.Or(b.Failures, DefaultFailures)
	b.OpenTimeout = cmp.Or(b.OpenTimeout, DefaultOpenTimeout)
	b.Probes = cmp.Or(b.Probes, DefaultProbes)
	return b
}

// Validate reports every value out of range.
func (b BreakerConfig) Validate() error {
	b = b.withDefaults()
	var errs []error
	if b.Failures < 1 || b.Failures > 1_000_000 {
		errs = append(errs, fmt.Errorf("breaker failures: %d, want 1 to 1000000", b.Failures))
	}
	if b.OpenTimeout < 0 {
		errs = append(errs, fmt.Errorf("breaker open_timeout: %v, want > 0", b.OpenTimeout))
	}
	if b.Probes < 1 || b.Probes > 1000 {
		errs = append(errs, fmt.Errorf("breaker probes: %d, want 1 to 1000", b.Probes))
	}
	return errors.Join(errs...)
}

// FromSpecs builds a Config from --carrier specs (ParseCarrier) and
// --route specs (ParseRoute), with default breakers.
func FromSpecs(carrierSpecs, routeSpecs []string) (Config, error) {
	var c Config
	for _, s := range carrierSpecs {
		cc, err := ParseCarrier(s)
		if err != nil {
			return Config{}, err
		}
		c.Carriers = append(c.Carriers, cc)
	}
	for _, s := range routeSpecs {
		r, err := ParseRoute(s)
		if err != nil {
			return Config{}, err
		}
		c.Routes = append(c.Routes, r)
	}
	return c, c.Validate()
}

// Validate reports every problem with c, each naming its carrier or
// route, all wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	_, errs := c.resolve()
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
}

// resolvedRoute is a route with its match normalized and its carriers in
// the order they are tried, priorities and costs filled in.
type resolvedRoute struct {
	match    string
	kind     matchKind
	carriers []RouteCarrier // Cost never nil
}

// resolve checks c and returns its routes ready for a table, in the
// order configured; a lone carrier without routes gets a "*" route.
func (c Config) resolve() ([]resolvedRoute, []error) {
	var errs []error
	if err := c.Breaker.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(c.Carriers) == 0 {
		errs = append(errs, errors.New("no carriers"))
	}
	byName := make(map[string]CarrierConfig, len(c.Carriers))
	for i, cc := range c.Carriers {
		what := fmt.Sprintf("carrier %q", cc.Name)
		if cc.Name == "" {
			what = fmt.Sprintf("carriers[%d]", i)
		}
		if err := cc.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, indent(err)))
		}
		if _, dup := byName[cc.Name]; dup && cc.Name != "" {
			errs = append(errs, fmt.Errorf("%s: duplicate name", what))
		}
		byName[cc.Name] = cc
	}

	if len(c.Routes) == 0 {
		if len(c.Carriers) > 1 {
			errs = append(errs, fmt.Errorf("%d carriers and no routes: add routes; a \"*\" route serves every destination no other route matches", len(c.Carriers)))
			return nil, errs
		}
		if len(c.Carriers) == 1 {
			cc := c.Carriers[0]
			cost := cc.Cost
			return []resolvedRoute{{match: "*", kind: matchDefault, carriers: []RouteCarrier{{Name: cc.Name, Priority: 1, Cost: &cost}}}}, errs
		}
		return nil, errs
	}

	routes := make([]resolvedRoute, 0, len(c.Routes))
	seen := make(map[string]int, len(c.Routes))
	for i, r := range c.Routes {
		m, kind, err := classifyMatch(r.Match)
		what := fmt.Sprintf("route %q", r.Match)
		if err != nil {
			errs = append(errs, fmt.Errorf("routes[%d]: %w", i, err))
			continue
		}
		if j, dup := seen[m]; dup {
			errs = append(errs, fmt.Errorf("%s: duplicate of routes[%d]", what, j))
			continue
		}
		seen[m] = i
		rr, rerrs := resolveRoute(r, byName)
		for _, err := range rerrs {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
		rr.match, rr.kind = m, kind
		routes = append(routes, rr)
	}
	return routes, append(errs, shadowed(routes)...)
}

// shadowed reports country routes that never serve anything: a prefix
// route as short as the country's calling code takes all its numbers.
func shadowed(routes []resolvedRoute) []error {
	var errs []error
	for _, c := range routes {
		if c.kind != matchCountry {
			continue
		}
		code := "+" + strconv.Itoa(phonenumbers.GetCountryCodeForRegion(c.match))
		for _, p := range routes {
			if p.kind == matchPrefix && strings.HasPrefix(code, p.match) {
				errs = append(errs, fmt.Errorf("route %q: never used: prefix route %q takes every %s number", c.match, p.match, code))
			}
		}
	}
	return errs
}

// resolveRoute fills in priorities and costs and orders the carriers.
func resolveRoute(r Route, byName map[string]CarrierConfig) (resolvedRoute, []error) {
	var errs []error
	if len(r.Carriers) == 0 {
		errs = append(errs, errors.New("no carriers"))
	}
	rr := resolvedRoute{carriers: make([]RouteCarrier, 0, len(r.Carriers))}
	inRoute := make(map[string]bool, len(r.Carriers))
	currency := ""
	for i, rc := range r.Carriers {
		cc, ok := byName[rc.Name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("unknown carrier %q", rc.Name))
			continue
		case inRoute[rc.Name]:
			errs = append(errs, fmt.Errorf("carrier %q listed twice", rc.Name))
			continue
		case rc.Priority < 0:
			errs = append(errs, fmt.Errorf("carrier %q: priority %d, want ≥ 1", rc.Name, rc.Priority))
			continue
		}
		inRoute[rc.Name] = true
		if rc.Priority == 0 {
			rc.Priority = i + 1
		}
		cost := cc.Cost
		if rc.Cost != nil {
			cost = *rc.Cost
			if cost.Currency == "" {
				cost.Currency = cc.Cost.Currency
			}
			if err := cost.validate(true); err != nil {
				if cost.Currency == "" {
					err = fmt.Errorf("cost %s: no currency, and the carrier has none", cost.PerSegment)
				}
				errs = append(errs, fmt.Errorf("carrier %q: %w", rc.Name, err))
				continue
			}
		}
		if cost.Known() {
			if currency != "" && cost.Currency != currency {
				errs = append(errs, fmt.Errorf("carrier %q costs %s, others %s: costs in one route share a currency", rc.Name, cost.Currency, currency))
				continue
			}
			currency = cost.Currency
		}
		rc.Cost = &cost
		rr.carriers = append(rr.carriers, rc)
	}
	slices.SortStableFunc(rr.carriers, func(a, b RouteCarrier) int {
		if c := cmp.Compare(a.Priority, b.Priority); c != 0 {
			return c
		}
		// Known costs first, cheaper first.
		if a.Cost.Known() != b.Cost.Known() {
			if a.Cost.Known() {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Cost.PerSegment, b.Cost.PerSegment)
	})
	return rr, errs
}

// indent makes a multi-line joined error read as one entry's list.
func indent(err error) error {
	s := err.Error()
	if !strings.Contains(s, "\n") {
		return err
	}
	return errors.New(strings.ReplaceAll(s, "\n", "; "))
}
