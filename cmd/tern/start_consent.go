package main

import (
	"context"
	"fmt"

	"github.com/ternsms/tern/core/consent"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/inbound"
	"github.com/ternsms/tern/pipeline/tenants"
)

// consentParts are what startConsent opens: tenants, keys and senders
// (store and registry), the consent ledger and this instance's
// suppression set, and the stored replies.
type consentParts struct {
	store    *tenants.Store
	registry *tenants.Registry
	ledger   *consentlog.Ledger
	set      *consentlog.Set
	replies  *inbound.Store
}

// startConsent opens the tenant store, bootstraps it with the config
// file's tenants and keys (and --dev's), and serves them from memory,
// reloaded within a second of a change on any instance; then the consent
// ledger, the suppression set it loads from PostgreSQL and follows on the
// suppressions topic, and the replies store. Each reads the database off
// the hot path only.
func (s *system) startConsent(ctx context.Context) error {
	c, p := s.c, &s.consent
	pgURL := s.r.postgresURL
	var err error
	if p.store, err = tenants.Open(ctx, pgURL, s.log); err != nil {
		return err
	}
	s.st.onStop("tenant store", func(context.Context) error { p.store.Close(); return nil })
	if err := p.store.Bootstrap(ctx, s.boot); err != nil {
		return fmt.Errorf("config tenants: %w", err)
	}
	if p.registry, err = tenants.NewRegistry(ctx, p.store); err != nil {
		return err
	}
	s.st.goRun("tenant registry", p.registry.Run)
	topic := consentlog.TopicConfig{Brokers: c.kafka.Brokers, Topic: c.kafka.Topics.Suppressions, ClientOpts: c.kafka.ClientOpts()}
	if p.ledger, err = consentlog.Open(ctx, pgURL, consentlog.NewHasher(s.idKey), topic, consentlog.WithLogger(s.log)); err != nil {
		return err
	}
	s.st.onStop("consent ledger", func(context.Context) error { p.ledger.Close(); return nil })
	if p.set, err = p.ledger.NewSet(ctx); err != nil {
		return err
	}
	s.st.goRun("suppression set", p.set.Run)
	s.st.goRun("suppression republisher", p.ledger.Run)
	if p.replies, err = inbound.OpenStore(ctx, pgURL, s.log); err != nil {
		return err
	}
	s.st.onStop("replies store", func(context.Context) error { p.replies.Close(); return nil })
	return nil
}

// startInbound acts on customers' replies (STOP, START, HELP, YES),
// answering through the intake, which it stops before; with --dev and the
// in-process simulator it serves the simulator's control endpoint, where
// `tern sim-reply` has it deliver a reply.
func (s *system) startInbound(context.Context) error {
	c, p := s.c, &s.consent
	proc, err := inbound.New(inbound.Config{Brokers: c.kafka.Brokers, MO: c.kafka.Topics.MO, Group: "tern-inbound",
		Replies: c.kafka.Topics.Replies, ClientOpts: c.kafka.ClientOpts()}, p.registry, p.ledger, p.replies, s.intake, s.log)
	if err != nil {
		return err
	}
	s.st.goRun("inbound replies", proc.Run)
	if !c.dev || s.r.sim == nil || c.simControl == "" || c.simControl == "off" {
		return nil
	}
	stop, addr, err := serveSimControl(s.r.sim, c.simControl)
	if err != nil {
		// A convenience by hand: another tern may hold the address.
		s.log.Warn("simulator control endpoint not served", "err", err)
		return nil
	}
	s.st.onStop("simulator control", func(context.Context) error { stop(); return nil })
	s.r.simControl = addr
	return nil
}

// consentRules are the partition actors' consent rules
// (pipeline.ConsentRules): the suppression set, and the tenants'
// frequency caps from the registry.
type consentRules struct {
	*consentlog.Set
	registry *tenants.Registry
}

func (r consentRules) ConsentKey(tenant, number string) []byte {
	k := r.Key(tenant, number)
	return k[:]
}

func (r consentRules) FrequencyCap(tenant string) consent.FrequencyCap {
	if v, ok := r.registry.Tenant(tenant); ok {
		return v.Policy.FrequencyCap
	}
	return consent.FrequencyCap{}
}
