package main

import (
	"flag"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/ternsms/tern/core/flow"
)

// featureFlags are tern serve's flags of store events, flows, revenue
// attribution and webhooks out.
type featureFlags struct {
	abandonedCartWait time.Duration
	delays            []flowDelay
	allowPrivate      []netip.Prefix
	resolver          string // DNS server endpoint names are resolved with; "" the system's
}

// flowDelay replaces one flow step's wait, for every tenant.
type flowDelay struct {
	flow, step string
	d          time.Duration
}

func (c *serveConfig) featureFlags(fs *flag.FlagSet) {
	f := &c.features
	fs.StringVar(&c.kafka.Topics.StoreEvents, "topic-store-events", "tern.store-events", "topic of the stores' events (webhooks and EventService), keyed by tenant and customer")
	fs.StringVar(&c.kafka.Topics.FlowRuns, "topic-flow-runs", "tern.flow-runs", "topic of ended flow runs, keyed by tenant (webhooks' flow.run_exited)")
	fs.StringVar(&c.kafka.Topics.Attributions, "topic-attributions", "tern.attributions", "topic of orders credited to a campaign or flow, keyed by tenant")
	fs.DurationVar(&f.abandonedCartWait, "flow-abandoned-cart-wait", 0, "`DURATION` the abandoned checkout flow waits before its reminder, for every tenant, whatever the tenant set; 0 keeps the tenants' (for trying the flow by hand)")
	fs.Func("flow-delay", "`FLOW.STEP=DURATION`, repeatable: replace a flow's wait or wait-until step with a wait of DURATION for every tenant, e.g. review_request.wait=10s (for trying flows by hand)", func(v string) error {
		d, err := parseFlowDelay(v)
		if err == nil {
			f.delays = append(f.delays, d)
		}
		return err
	})
	fs.Func("webhook-allow-private", "`CIDR,…` of non-public addresses webhooks out may post to (e.g. 10.1.0.0/16); with --dev 127.0.0.1/32 is added; every other non-public address is refused", func(v string) error {
		for _, s := range splitList(v) {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return fmt.Errorf("%q: want a CIDR such as 10.1.0.0/16", s)
			}
			f.allowPrivate = append(f.allowPrivate, p.Masked())
		}
		return nil
	})
	fs.StringVar(&f.resolver, "webhook-resolver", "", "`HOST:PORT` of the DNS server webhook endpoint names are resolved with; empty uses the system's")
}

// parseFlowDelay reads FLOW.STEP=DURATION, checking both against the
// catalogue.
func parseFlowDelay(v string) (flowDelay, error) {
	name, dur, ok := strings.Cut(v, "=")
	id, step, ok2 := strings.Cut(name, ".")
	if !ok || !ok2 {
		return flowDelay{}, fmt.Errorf("%q: want FLOW.STEP=DURATION, e.g. review_request.wait=10s", v)
	}
	d, err := time.ParseDuration(dur)
	if err != nil || d <= 0 {
		return flowDelay{}, fmt.Errorf("%q: want a duration above 0, e.g. 10s", dur)
	}
	f, found := flow.Lookup(id)
	if !found {
		return flowDelay{}, fmt.Errorf("%q: no such flow", id)
	}
	for _, s := range f.Steps {
		if s.Name == step && (s.Kind == flow.Wait || s.Kind == flow.WaitUntil) {
			return flowDelay{flow: id, step: step, d: d}, nil
		}
	}
	return flowDelay{}, fmt.Errorf("%q: flow %s has no wait step of that name", step, id)
}

// validate checks what the flags could not alone.
func (f *featureFlags) validate() error {
	if f.abandonedCartWait < 0 {
		return fmt.Errorf("--flow-abandoned-cart-wait %s: want 0 or more", f.abandonedCartWait)
	}
	if f.resolver != "" {
		if _, _, err := net.SplitHostPort(f.resolver); err != nil {
			return fmt.Errorf("--webhook-resolver %q: want HOST:PORT", f.resolver)
		}
	}
	return nil
}
