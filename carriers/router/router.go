package router

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core/phone"
)

// Router picks the carrier for each destination: the first carrier of
// the destination's route whose circuit breaker lets traffic through.
// It is safe for concurrent use; Pick does not allocate on its usual
// path.
type Router struct {
	table    *table
	raw      []carriers.Carrier
	byName   map[string]*breaker
	configs  map[string]CarrierConfig
	phones   *phone.Cache
	breakers BreakerConfig
}

// New validates cfg, builds every carrier with dial and puts a circuit
// breaker before each. dial builds a carrier from its config and must not
// start it: the caller runs and closes Carriers(). The carrier dial
// returns must have the config's name.
func New(cfg Config, dial func(CarrierConfig) (carriers.Carrier, error), opts ...Option) (*Router, error) {
	routes, errs := cfg.resolve()
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	if dial == nil {
		return nil, errors.New("carrier router: nil dial")
	}
	var o options
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.phones == nil {
		o.phones = phone.NewCache(1 << 16)
	}
	r := &Router{
		byName:   make(map[string]*breaker, len(cfg.Carriers)),
		configs:  make(map[string]CarrierConfig, len(cfg.Carriers)),
		phones:   o.phones,
		breakers: cfg.Breaker.withDefaults(),
	}
	m := newMetrics()
	for _, cc := range cfg.Carriers {
		cc = cc.withDefaults()
		c, err := dial(cc)
		if err != nil {
			return nil, fmt.Errorf("carrier %s: %w", cc.Name, err)
		}
		if c == nil || c.Name() != cc.Name {
			return nil, fmt.Errorf("carrier %s: dial returned a carrier named %q", cc.Name, nameOf(c))
		}
		b := newBreaker(c, r.breakers, o.log, m)
		r.raw = append(r.raw, c)
		r.byName[cc.Name] = b
		r.configs[cc.Name] = cc
		m.states.breakers = append(m.states.breakers, b)
	}
	r.table = newTable(routes, r.byName)
	if o.reg != nil {
		if err := m.register(o.reg); err != nil {
			return nil, fmt.Errorf("carrier router metrics: %w", err)
		}
	}
	return r, nil
}

func nameOf(c carriers.Carrier) string {
	if c == nil {
		return "<nil>"
	}
	return c.Name()
}

// Pick returns the carrier to submit a message for to (E.164) to: the
// first carrier of its route whose breaker is closed, or half-open with a
// probe slot free. The carrier's Submit reports its outcome to the
// breaker; a submit the breaker refuses by then is not sent and fails
// with carriers.ErrUnavailable.
//
// With no route for to, Pick returns ErrNoRoute. When every carrier of
// the route is open it returns a *carriers.BackoffError wrapping
// carriers.ErrUnavailable that names them, with Wait until the first one
// lets probes through: wait and pick again.
func (r *Router) Pick(to string) (carriers.Carrier, error) {
	tr, err := r.route(to)
	if err != nil {
		return nil, err
	}
	wait := time.Duration(-1)
	for _, b := range tr.breakers {
		ok, w := b.available()
		if ok {
			return b, nil
		}
		if wait < 0 || w < wait {
			wait = w
		}
	}
	return nil, &carriers.BackoffError{
		Err:  fmt.Errorf("route %s: no carrier available (%s): %w", tr.match, tr.names, carriers.ErrUnavailable),
		Wait: wait,
	}
}

func (r *Router) route(to string) (*tableRoute, error) {
	tr := r.table.lookup(to, r.region)
	if tr == nil {
		region := r.region(to)
		if region == "" {
			region = "unknown"
		}
		return nil, fmt.Errorf("%w in region %s", ErrNoRoute, region)
	}
	return tr, nil
}

// region returns to's country, "" when unknown.
func (r *Router) region(to string) string {
	if !strings.HasPrefix(to, "+") {
		to = "+" + to
	}
	n, err := r.phones.Inspect(to, "")
	if err != nil {
		return ""
	}
	return n.Region
}

// Lookup returns the route serving to: its match, and its carriers in the
// order Pick tries them, priorities and costs filled in. It ignores the
// breakers.
func (r *Router) Lookup(to string) (Route, error) {
	tr, err := r.route(to)
	if err != nil {
		return Route{}, err
	}
	rt := Route{Match: tr.match, Carriers: slices.Clone(tr.carriers)}
	for i, rc := range rt.Carriers {
		c := *rc.Cost
		rt.Carriers[i].Cost = &c
	}
	return rt, nil
}

// Carriers returns the carriers dial built, in config order, without
// their breakers: for the caller to run and close them.
func (r *Router) Carriers() []carriers.Carrier { return slices.Clone(r.raw) }

// InDoubtPolicy returns the named carrier's in-doubt policy,
// InDoubtResubmit or InDoubtFail; "" for a carrier not configured.
func (r *Router) InDoubtPolicy(name string) string {
	return r.configs[name].InDoubt
}

// Cost returns what the named carrier charges per segment for to: the
// cost its route to to gives it, else its own. The Cost is unknown
// (Known false) for a carrier not configured or without a cost.
func (r *Router) Cost(name, to string) Cost {
	cc, ok := r.configs[name]
	if !ok {
		return Cost{}
	}
	if tr := r.table.lookup(to, r.region); tr != nil {
		for _, rc := range tr.carriers {
			if rc.Name == name {
				return *rc.Cost
			}
		}
	}
	return cc.Cost
}

// State returns the named carrier's breaker state; BreakerClosed for a carrier
// not configured.
func (r *Router) State(name string) BreakerState {
	b, ok := r.byName[name]
	if !ok {
		return BreakerClosed
	}
	return b.state()
}
