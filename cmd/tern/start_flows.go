package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"

	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/core/flow"
	"github.com/ternsms/tern/pipeline/attribution"
	"github.com/ternsms/tern/pipeline/campaigns"
	"github.com/ternsms/tern/pipeline/flows"
	"github.com/ternsms/tern/pipeline/storeevents"
	"github.com/ternsms/tern/pipeline/webhooks"
)

// featureParts are what startFlows opens: the store events tracker, the
// flow engine, the attributor and the webhook outbox.
type featureParts struct {
	tracker    *storeevents.Tracker
	engine     *flows.Engine
	attributor *attribution.Attributor
	outbox     *webhooks.Outbox
}

// apiDeps are the API's services of store events, flows and webhooks.
func (p *featureParts) apiDeps(s *system) (*api.EventDeps, *api.FlowDeps, *api.WebhookDeps) {
	return &api.EventDeps{Events: p.tracker, Log: s.log}, &api.FlowDeps{Flows: p.engine, Log: s.log},
		&api.WebhookDeps{Endpoints: p.outbox, Log: p.outbox, Logger: s.log}
}

// startFlows takes store events in (the tracker behind EventService and
// the platforms' webhooks, and the consumer that records the consent
// they report), and runs on every instance the flow engine, revenue
// attribution and the webhook dispatcher with its sources. Flows send
// through the intake, so it starts after the pipeline; its parts stop
// before the intake.
func (s *system) startFlows(ctx context.Context) error {
	if err := s.startStoreEvents(ctx); err != nil {
		return err
	}
	if err := s.startFlowEngine(ctx); err != nil {
		return err
	}
	if err := s.startAttribution(ctx); err != nil {
		return err
	}
	if err := s.startWebhooks(ctx); err != nil {
		return err
	}
	if s.c.dev {
		return s.devShop(ctx)
	}
	return nil
}

func (s *system) startStoreEvents(ctx context.Context) error {
	c, p := s.c, &s.features
	cfg := storeevents.Config{Brokers: c.kafka.Brokers, Topic: c.kafka.Topics.StoreEvents, KafkaOpts: c.kafka.ClientOpts()}
	var err error
	if p.tracker, err = storeevents.Open(ctx, s.r.postgresURL, cfg, storeevents.WithLogger(s.log)); err != nil {
		return err
	}
	s.st.onStop("store events", func(context.Context) error { p.tracker.Close(); return nil })
	s.st.goRun("store event id janitor", p.tracker.Run)
	s.st.goRun("store consent", storeevents.NewConsentSync(cfg, "", s.consent.ledger, s.log).Run)
	return nil
}

func (s *system) startFlowEngine(ctx context.Context) error {
	c, p := s.c, &s.features
	opts := []flows.Option{flows.WithLogger(s.log), flows.WithTenants(s.consent.registry)}
	for _, d := range c.features.delays {
		opts = append(opts, flows.WithDelay(d.flow, d.step, d.d))
	}
	if w := c.features.abandonedCartWait; w > 0 {
		opts = append(opts, flows.WithDelay(flow.AbandonedCheckout, "wait", w))
	}
	cfg := flows.Config{Brokers: c.kafka.Brokers, StoreEvents: c.kafka.Topics.StoreEvents, Runs: c.kafka.Topics.FlowRuns,
		KafkaOpts: c.kafka.ClientOpts()}
	var err error
	if p.engine, err = flows.Open(ctx, s.r.postgresURL, cfg, s.intake, opts...); err != nil {
		return err
	}
	s.st.onStop("flow engine", func(context.Context) error { p.engine.Close(); return nil })
	s.st.goRun("flow events", p.engine.Consume)
	s.st.goRun("flow runs", p.engine.Run)
	return nil
}

func (s *system) startAttribution(ctx context.Context) error {
	c, p := s.c, &s.features
	// Clicks are the tracked links' (pipeline/campaigns), on their topic.
	clicks := campaigns.DefaultClickTopic
	if err := campaigns.EnsureClickTopic(ctx, c.kafka, clicks, c.kafka.Partitions, c.kafka.ReplicationFactor); err != nil {
		return err
	}
	cfg := attribution.Config{Brokers: c.kafka.Brokers, Events: c.kafka.Topics.Events, StoreEvents: c.kafka.Topics.StoreEvents,
		Clicks: clicks, DecodeClick: attribution.DecodeLinkClick, Attributions: c.kafka.Topics.Attributions, KafkaOpts: c.kafka.ClientOpts()}
	var err error
	if p.attributor, err = attribution.Open(ctx, s.r.postgresURL, cfg, attribution.WithLogger(s.log)); err != nil {
		return err
	}
	s.st.onStop("attribution", func(context.Context) error { p.attributor.Close(); return nil })
	s.st.goRun("attribution touches", p.attributor.Consume)
	s.st.goRun("attribution", p.attributor.Run)
	return nil
}

func (s *system) startWebhooks(ctx context.Context) error {
	c, p := s.c, &s.features
	client := webhooks.ClientConfig{Allow: c.features.allowPrivate, Log: s.log}
	if c.dev {
		client.Allow = append(client.Allow, netip.MustParsePrefix("127.0.0.1/32"))
	}
	if c.features.resolver != "" {
		client.Resolver = dnsServer(c.features.resolver)
	}
	var err error
	if p.outbox, err = webhooks.Open(ctx, s.r.postgresURL, webhooks.Config{Client: client}, webhooks.WithLogger(s.log)); err != nil {
		return err
	}
	s.st.onStop("webhook outbox", func(context.Context) error { p.outbox.Close(); return nil })
	s.st.goRun("webhook dispatcher", p.outbox.Run)
	t := c.kafka.Topics
	src := p.outbox.Sources(webhooks.SourceConfig{Brokers: c.kafka.Brokers, Events: t.Events, Replies: t.Replies,
		Suppressions: t.Suppressions, FlowRuns: t.FlowRuns, KafkaOpts: c.kafka.ClientOpts()}, s.consent.ledger)
	s.st.goRun("webhook sources", src.Run)
	return nil
}

// dnsServer is a resolver asking only the DNS server at addr.
func dnsServer(addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

// devShop gives the dev tenant a Shopify webhook secret, DATA/dev-shopify-secret
// (made on first use), and writes its id to DATA/dev-tenant, for
// signing webhooks by hand.
func (s *system) devShop(ctx context.Context) error {
	secret, err := readOrCreate(filepath.Join(s.c.dataDir, "dev-shopify-secret"), newAPIKey)
	if err != nil {
		return fmt.Errorf("dev shopify secret: %w", err)
	}
	if _, err := readOrCreate(filepath.Join(s.c.dataDir, "dev-tenant"), func() string { return devTenantID }); err != nil {
		return fmt.Errorf("dev tenant: %w", err)
	}
	have, err := s.features.tracker.Secrets(ctx, devTenantID, storeevents.Shopify)
	if err != nil && !errors.Is(err, storeevents.ErrNoSecret) {
		return err
	}
	if len(have) == 0 || have[0] != secret {
		if err := s.features.tracker.SetSecret(ctx, devTenantID, storeevents.Shopify, secret, false); err != nil {
			return fmt.Errorf("dev shopify secret: %w", err)
		}
	}
	s.r.devShopSecret = secret
	return nil
}

// devTenantID is the --dev tenant's id.
const devTenantID = "dev"

// printFeatures tells the operator, with --dev, where the dev shop posts
// its Shopify webhooks and with which secret.
func printFeatures(w io.Writer, c serveConfig, r *running) {
	if !c.dev || r.devShopSecret == "" {
		return
	}
	fmt.Fprintf(w, "  dev tenant:                    %s  (also in %s)\n", devTenantID, filepath.Join(c.dataDir, "dev-tenant"))
	fmt.Fprintf(w, "  dev Shopify webhooks:          %s://%s/webhooks/shopify/%s  secret in %s\n", c.api.scheme(), r.apiAddr, devTenantID,
		filepath.Join(c.dataDir, "dev-shopify-secret"))
}
