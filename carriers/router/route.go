package router

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Route lists the carriers that serve one destination.
type Route struct {
	// Match is what the route serves: an E.164 prefix ("+4479"), a
	// country (ISO 3166-1 alpha-2, "US") or "*" for every destination no
	// other route matches. The longest matching prefix wins over a
	// country, a country over "*". Countries are matched by the numbering
	// plan: "+1 416..." is CA, not US.
	Match string
	// Carriers are tried in order of Priority, then Cost (cheaper first,
	// unknown costs last), then the order listed.
	Carriers []RouteCarrier
}

// RouteCarrier is one carrier of a route.
type RouteCarrier struct {
	// Name is a configured carrier's name.
	Name string
	// Priority orders the route's carriers, lower first. 0 stands for
	// the carrier's position in the list (1, 2, ...), so that a list
	// without priorities is a failover order; give equal priorities to
	// let cost decide.
	Priority int
	// Cost, when set, is what the carrier charges on this route instead
	// of its own cost; without a currency it takes the carrier's.
	Cost *Cost
}

// ParseRoute reads a route spec as a --route flag gives it:
//
//	MATCH=CARRIER[:PRIORITY][@COST][,CARRIER[:PRIORITY][@COST]...]
//
// MATCH is an E.164 prefix, a country or "*" (see Route.Match). Without
// priorities the list is a failover order: "US=primary,backup". A COST
// overrides the carrier's cost on this route, in the carrier's currency:
// "GB=cheap:1@0.031,solid:1@0.035" sends to the cheaper of two equals.
func ParseRoute(spec string) (Route, error) {
	r, err := parseRoute(spec)
	if err != nil {
		return Route{}, fmt.Errorf("%w: route %q: %w", ErrInvalidConfig, strings.TrimSpace(spec), err)
	}
	return r, nil
}

func parseRoute(spec string) (Route, error) {
	var r Route
	match, list, ok := strings.Cut(spec, "=")
	if !ok {
		return r, errors.New("want MATCH=CARRIER[,CARRIER...]")
	}
	m, err := parseMatch(match)
	if err != nil {
		return r, err
	}
	r.Match = m
	for e := range strings.SplitSeq(list, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		rc, err := parseRouteCarrier(e)
		if err != nil {
			return r, err
		}
		r.Carriers = append(r.Carriers, rc)
	}
	if len(r.Carriers) == 0 {
		return r, errors.New("no carriers")
	}
	return r, nil
}

// parseRouteCarrier reads NAME[:PRIORITY][@COST], the suffixes in any
// order.
func parseRouteCarrier(s string) (RouteCarrier, error) {
	var rc RouteCarrier
	i := strings.IndexAny(s, ":@")
	if i < 0 {
		i = len(s)
	}
	rc.Name, s = strings.TrimSpace(s[:i]), s[i:]
	if rc.Name == "" {
		return rc, errors.New("a carrier without a name")
	}
	var hasPriority bool
	for s != "" {
		sep := s[0]
		s = s[1:]
		j := strings.IndexAny(s, ":@")
		if j < 0 {
			j = len(s)
		}
		v := strings.TrimSpace(s[:j])
		s = s[j:]
		switch {
		case sep == ':' && !hasPriority:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return rc, fmt.Errorf("carrier %s: priority %q: want a whole number from 1", rc.Name, v)
			}
			rc.Priority, hasPriority = n, true
		case sep == '@' && rc.Cost == nil:
			a, err := parseCost(v)
			if err != nil {
				return rc, fmt.Errorf("carrier %s: %w", rc.Name, err)
			}
			rc.Cost = &Cost{PerSegment: a}
		default:
			return rc, fmt.Errorf("carrier %s: %q given twice", rc.Name, string(sep))
		}
	}
	return rc, nil
}

// Kinds of route match.
type matchKind uint8

const (
	matchDefault matchKind = iota
	matchCountry
	matchPrefix
)

// parseMatch checks and normalizes a route's match: countries upper case.
func parseMatch(s string) (string, error) {
	m, _, err := classifyMatch(s)
	return m, err
}

func classifyMatch(s string) (string, matchKind, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "*":
		return s, matchDefault, nil
	case strings.HasPrefix(s, "+"):
		digits := s[1:]
		if len(digits) < 1 || len(digits) > 15 || digits[0] == '0' || strings.Trim(digits, "0123456789") != "" {
			return s, 0, fmt.Errorf("prefix %q: want + and 1 to 15 digits, not starting with 0", s)
		}
		return s, matchPrefix, nil
	case len(s) == 2:
		c := strings.ToUpper(s)
		if phonenumbers.GetCountryCodeForRegion(c) == 0 {
			return s, 0, fmt.Errorf("country %q: not an ISO 3166-1 alpha-2 code with a numbering plan (GB, US, DE...)", s)
		}
		return c, matchCountry, nil
	}
	return s, 0, fmt.Errorf("match %q: want an E.164 prefix (+4479), a country (GB) or *", s)
}
