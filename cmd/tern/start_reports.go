package main

import (
	"context"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/carriers/router"
)

// startReports runs the writer that copies the submit and event
// topics into the analytics store, recording on each carrier's accept
// what the route's cost= says the carrier charges, and the list hygiene
// job. It runs after startCarriers, whose router gives the costs, and
// before startPipeline, so that it stops after the pipeline and writes
// the pipeline's last events.
//
// The writer also turns the replies, clicks, attributions and
// verifications topics into engagements; a second writer keeps the
// replies table. The hygiene job suppresses the numbers of the permanent
// classes for marketing through the consent ledger (startConsent), and
// leaves the numbers the suppression set holds as opted out to that.
func (s *system) startReports(context.Context) error {
	c := s.c
	writer := analytics.NewWriter(s.reports, analytics.KafkaConfig{
		Brokers:           c.kafka.Brokers,
		SubmitTopic:       c.kafka.Topics.Submit,
		LaneTopics:        []string{c.kafka.Topics.OTP, c.kafka.Topics.Marketing},
		EventsTopic:       c.kafka.Topics.Events,
		RepliesTopic:      c.kafka.Topics.Replies,
		ClicksTopic:       c.kafka.Topics.Clicks,
		AttributionsTopic: c.kafka.Topics.Attributions,
		VerifyTopic:       c.kafka.Topics.Verify,
		ClientOpts:        c.kafka.ClientOpts(),
	}, analytics.WithLogger(s.log), analytics.WithDeadLetters(s.deadLetters), analytics.WithCosts(routeCosts{s.router}))
	s.st.goRun("analytics writer", writer.Run)
	replies := analytics.NewRepliesWriter(s.reports, analytics.RepliesConfig{Brokers: c.kafka.Brokers, Topic: c.kafka.Topics.Replies,
		ClientOpts: c.kafka.ClientOpts()})
	s.st.goRun("analytics replies", replies.Run)
	job := analytics.NewHygieneJob(s.reports, s.consent.ledger, s.consent.set, analytics.WithHygieneLogger(s.log))
	s.st.goRun("hygiene job", job.Run)
	return nil
}

// routeCosts gives the analytics writer what a carrier charges per
// segment to a number: the cost= of the route the router would take to
// it, else the carrier's own.
type routeCosts struct{ r *router.Router }

func (rc routeCosts) Cost(carrier, to string) (int64, string, bool) {
	c := rc.r.Cost(carrier, to)
	return int64(c.PerSegment), c.Currency, c.Known()
}
