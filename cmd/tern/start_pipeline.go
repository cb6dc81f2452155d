package main

import (
	"context"

	"github.com/ternsms/tern/pipeline"
)

// startPipeline runs the receipt joiner and sweeper, the consumer that
// hands accepted messages to the carriers, and the scheduler, then opens
// the intake every front door sends through.
func (s *system) startPipeline(ctx context.Context) error {
	c := s.c
	s.st.goRun("receipt joiner", pipeline.NewReceiptJoiner(c.kafka, s.r.store, s.metrics, s.log).Run)
	s.st.goRun("receipt sweeper", pipeline.NewReceiptSweeper(c.kafka, s.r.store, c.validity+c.receiptGrace, s.metrics, s.log).Run)
	quietHours, err := s.tenants.quietPolicies()
	if err != nil {
		return err
	}
	consumer, err := pipeline.NewConsumer(c.kafka, s.router, s.r.ledger,
		pipeline.WithConsumerLogger(s.log), pipeline.WithMetrics(s.metrics),
		pipeline.WithWindow(c.window),
		pipeline.WithInDoubtPolicies(s.policies),
		pipeline.WithCarrierWindow(s.slots),
		pipeline.WithLimits(pipeline.NewLimits(s.tenants.limits())),
		pipeline.WithQuietHours(quietHours), pipeline.WithConsumerPhones(s.phones),
		pipeline.WithConsentRules(consentRules{Set: s.consent.set, registry: s.consent.registry}),
		pipeline.WithCampaignHolds(campaignHolds{s.campaigns.states}))
	if err != nil {
		return err
	}
	s.st.goRun("pipeline", consumer.Run)
	s.st.goRun("scheduler", pipeline.NewScheduler(c.kafka, s.r.store, s.metrics, s.log).Run)
	return s.startIntake()
}

// startIntake opens the intake: ids, prices and validity for every
// message a front door accepts, and the canceler of messages not sent
// yet.
func (s *system) startIntake() error {
	c := s.c
	prices, err := loadPrices(c.prices, c.dev)
	if err != nil {
		return err
	}
	intake, err := pipeline.NewIntake(c.kafka, s.ids, s.r.store, pipeline.WithIntakeLogger(s.log),
		pipeline.WithIntakeMetrics(s.metrics), pipeline.WithPrices(prices), pipeline.WithValidity(c.validity),
		pipeline.WithIntakePhones(s.phones),
		pipeline.WithSenders(s.consent.registry), pipeline.WithConsent(s.consent.set))
	if err != nil {
		return err
	}
	s.st.onStop("intake", func(context.Context) error { return intake.Close() })
	s.intake, s.prices = intake, prices
	s.cancels = pipeline.NewCanceler(s.r.store, c.retention)
	return nil
}
