package main

import (
	"context"
	"net/http"

	"github.com/ternsms/tern/api"
	twapi "github.com/ternsms/tern/api/twilio"
	twstore "github.com/ternsms/tern/pipeline/twilio"
	verifysvc "github.com/ternsms/tern/pipeline/verify"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// verifyParts are what startVerify opens for the API: VerifyService and
// the Twilio-compatible surface.
type verifyParts struct {
	service ternv1connect.VerifyServiceHandler
	twilio  http.Handler
}

// startVerify opens the verification service (codes derived from the id
// key, pruned in the background, their records on the verify topic) and
// the Twilio-compatible surface over it: its accounts and messages in
// PostgreSQL, the follower that keeps their statuses from the events
// topic, the dispatcher of their status callbacks and the poster of
// replies to the tenants' SMS URLs. With --dev it writes the dev tenant's
// account and Verify service to DATA/dev-twilio-account and
// DATA/dev-twilio-verify-service.
func (s *system) startVerify(ctx context.Context) error {
	svc, err := s.openVerifier(ctx)
	if err != nil {
		return err
	}
	s.verify.service = api.NewVerifyService(api.VerifyDeps{Verifier: svc, Policies: svc, Log: s.log})
	store, err := twstore.Open(ctx, s.r.postgresURL, s.log)
	if err != nil {
		return err
	}
	s.st.onStop("twilio store", func(context.Context) error { store.Close(); return nil })
	tokens := twstore.NewTokens(s.idKey)
	if err := s.runTwilio(store, tokens); err != nil {
		return err
	}
	s.verify.twilio, err = twapi.New(twapi.Deps{Accounts: store, Messages: store, Intake: s.intake,
		Callbacks: twstore.Outbox{}, Cancels: s.cancels, IDs: s.ids, Verify: svc, Senders: s.consent.registry, Log: s.log})
	if err != nil {
		return err
	}
	if s.c.dev {
		s.r.devTwilio, s.r.devVerifyService, err = devTwilioAccount(ctx, s.c.dataDir, store, tokens)
	}
	return err
}

// openVerifier opens the verification service and runs its pruning.
func (s *system) openVerifier(ctx context.Context) (*verifysvc.Service, error) {
	c := s.c
	store, err := verifysvc.Open(ctx, s.r.postgresURL, s.log)
	if err != nil {
		return nil, err
	}
	s.st.onStop("verify store", func(context.Context) error { store.Close(); return nil })
	m := verifysvc.NewMetrics(s.reg)
	records, err := verifysvc.NewRecords(verifysvc.RecordsConfig{Brokers: c.kafka.Brokers, Topic: c.kafka.Topics.Verify,
		ClientOpts: c.kafka.ClientOpts()}, s.log, m)
	if err != nil {
		return nil, err
	}
	s.st.onStop("verify records", func(context.Context) error { records.Close(); return nil })
	svc, err := verifysvc.New(store, s.idKey, s.intake, s.consent.registry, verifysvc.WithLogger(s.log),
		verifysvc.WithMetrics(m), verifysvc.WithRecords(records), verifysvc.WithPhones(s.phones))
	if err != nil {
		return nil, err
	}
	s.st.goRun("verify pruning", svc.Run)
	return svc, nil
}

// runTwilio runs the Twilio surface's background work: the follower of
// the events topic, the status callbacks' dispatcher and the inbound
// poster.
func (s *system) runTwilio(store *twstore.Store, tokens twstore.Tokens) error {
	c := s.c
	m := twstore.NewMetrics(s.reg)
	follower, err := twstore.NewFollower(twstore.FollowerConfig{Brokers: c.kafka.Brokers, Events: c.kafka.Topics.Events,
		ClientOpts: c.kafka.ClientOpts()}, store, twstore.Outbox{}, s.log)
	if err != nil {
		return err
	}
	s.st.goRun("twilio follower", follower.Run)
	d := twstore.NewDispatcher(store, tokens, twstore.WithDispatchMetrics(m), twstore.WithDispatchLogger(s.log))
	s.st.goRun("twilio callbacks", d.Run)
	in, err := twstore.NewInbound(twstore.InboundConfig{Brokers: c.kafka.Brokers, MO: c.kafka.Topics.MO,
		ClientOpts: c.kafka.ClientOpts()}, store, tokens, s.consent.registry, s.intake, m, s.log)
	if err != nil {
		return err
	}
	s.st.goRun("twilio inbound", in.Run)
	return nil
}
