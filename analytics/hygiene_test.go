package analytics_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/hygiene"
	"github.com/ternsms/tern/core/testkit"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
)

// consentEnv is the consent ledger and this instance's suppression set.
type consentEnv struct {
	ledger *consentlog.Ledger
	set    *consentlog.Set
}

func newConsentEnv(t *testing.T) consentEnv {
	t.Helper()
	ctx := t.Context()
	topic := consentlog.TopicConfig{Brokers: []string{kafkatest.Broker(t)}, Topic: "tern.suppressions"}
	if err := consentlog.EnsureTopic(ctx, topic, 2, 1); err != nil {
		t.Fatal(err)
	}
	l, err := consentlog.Open(ctx, pgtest.URL(t), consentlog.NewHasher([]byte("hygiene-test")), topic)
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.NewSet(ctx)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(rctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; l.Close() })
	return consentEnv{l, s}
}

// hygieneMsg is one message of the hygiene scenario: to a number, with a
// final status and code, finished hours after the scenario's start.
type hygieneMsg struct {
	to     string
	status core.Status
	code   string
	hours  float64
}

func (e mixEnv) sendHygiene(t *testing.T, base time.Time, msgs []hygieneMsg, start int) {
	t.Helper()
	var recs []kafka.Message
	for i, h := range msgs {
		m := mixMsg{id: fmt.Sprintf("h%04d", start+i), to: h.to, carrier: "carrier-a", sender: "SHOP", segments: 1,
			status: h.status, code: h.code}
		m.final = base.Add(time.Duration(h.hours * float64(time.Hour)))
		m.accepted, m.submitted = m.final.Add(-3*time.Second), m.final.Add(-2*time.Second)
		recs = append(recs, m.submitRecord(e.p, "spring", 0), m.eventRecord(e.p, "spring", core.StatusSubmitted, m.submitted, ""),
			m.eventRecord(e.p, "spring", h.status, m.final, h.code))
	}
	e.p.send(recs...)
}

const (
	ghost     = "+4915112000001" // unknown subscriber, 3 times
	landline  = "+442079460000"  // a fixed line by number plan
	flaky     = "+4915112000002" // 3 of its last 5 expired
	silent    = "+4915112000003" // messaged, never delivered in 30 days
	stopped   = "+4915112000004" // opted out
	fine      = "+4915112000005" // delivered
	manual    = "+4915112000006" // barred, then cleared by hand
	delivered = core.StatusDelivered
)

// TestHygiene: numbers are classified from what their messages did; the
// permanent ones are suppressed for marketing through the consent set,
// and stay reported; a later delivery lifts the suppression, and so does
// a person, which the next run respects.
func TestHygiene(t *testing.T) {
	t.Parallel()
	ce := newConsentEnv(t)
	e := newMixEnv(t, chtest.Store(t))
	ctx := context.Background()
	msgs := []hygieneMsg{
		{ghost, core.StatusUndelivered, "001", 1}, {ghost, core.StatusUndelivered, "001", 2}, {ghost, core.StatusUndelivered, "001", 3},
		{landline, core.StatusUndelivered, "", 1},
		{flaky, delivered, "", 1}, {flaky, core.StatusExpired, "", 2}, {flaky, delivered, "", 3}, {flaky, core.StatusExpired, "", 4}, {flaky, core.StatusExpired, "", 5},
		{silent, core.StatusExpired, "", -24},
		{stopped, delivered, "", 1},
		{fine, delivered, "", 1},
		{manual, core.StatusRejected, "13", 1},
	}
	// The scenario ran over the last half day: suppressions are made, and
	// deliveries after them lifted, in the database's time.
	base := time.Now().Add(-12 * time.Hour).Truncate(time.Second)
	e.sendHygiene(t, base, msgs, 0)
	runWriter(t, e.writer(t))
	for _, n := range []string{ghost, stopped, manual} {
		if _, _, _, err := ce.ledger.Record(ctx, consentlog.Event{Tenant: "t1", Number: n, Kind: consent.OptIn, Scope: consent.ScopeMarketing, Method: consentlog.MethodAPI}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, _, err := ce.ledger.Record(ctx, consentlog.Event{Tenant: "t1", Number: stopped, Kind: consent.OptOut, Scope: consent.ScopeAll, Method: consentlog.MethodKeyword}); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, e.store, len(msgs))
	job := analytics.NewHygieneJob(e.store, ce.ledger, ce.set, analytics.WithHygieneLogger(chtest.Logger(t)))

	runs, err := job.RunOnce(ctx)
	if err != nil || len(runs) != 1 || runs[0].Numbers != 7 || runs[0].Suppressed != 3 {
		t.Fatalf("RunOnce = %+v, %v; want 7 numbers, 3 suppressed", runs, err)
	}
	wantClasses(t, e.store, map[string]hygiene.Class{
		ghost: hygiene.ClassUnknownSubscriber, landline: hygiene.ClassLandline, flaky: hygiene.ClassRepeatedlyUndelivered,
		silent: hygiene.ClassNeverDelivered, stopped: hygiene.ClassOptedOut, manual: hygiene.ClassBarred,
	}, map[string]bool{ghost: true, landline: true, manual: true})
	err = ce.set.Check("t1", ghost, core.CategoryMarketing, "")
	if err == nil || err.Error() != "to: suppressed (hygiene: unknown subscriber)" || !errors.Is(err, consent.ErrSuppressed) {
		t.Fatalf("marketing to %s: %v", ghost, err)
	}
	if err := ce.set.Check("t1", ghost, core.CategoryOTP, ""); err != nil {
		t.Fatalf("an OTP to a suppressed number is refused: %v", err)
	}
	r, _, err := e.store.HygieneReport(ctx, "t1", hygiene.ClassNone, -1, "")
	if err != nil || r.Numbers != 7 || len(r.Classes) != 6 || r.Classes[0].Class != hygiene.ClassLandline || r.Classes[1].Class != hygiene.ClassUnknownSubscriber ||
		r.Classes[1].Messages != 3 || r.Classes[1].Suppressed != 1 || len(r.Classes[1].Spent) != 1 || r.Classes[1].Spent[0].Micros != 3*pricePerSegment || r.Entries != nil {
		t.Fatalf("report = %+v, %v", r, err)
	}

	// A person lifts one suppression; a message delivered to another lifts
	// that; the next run keeps both lifted.
	if ok, err := ce.ledger.ClearHygiene(ctx, "t1", manual, "api"); err != nil || !ok {
		t.Fatalf("ClearHygiene = %v, %v", ok, err)
	}
	e.sendHygiene(t, time.Now(), []hygieneMsg{{ghost, delivered, "", 0}}, 100)
	waitMessages(t, e.store, len(msgs)+1)
	if runs, err = job.RunOnce(ctx); err != nil || runs[0].Cleared != 1 || runs[0].Suppressed != 0 {
		t.Fatalf("second RunOnce = %+v, %v; want 1 cleared", runs, err)
	}
	if err := ce.set.Check("t1", ghost, core.CategoryMarketing, ""); err != nil {
		t.Fatalf("marketing after a delivery: %v", err)
	}
	// The ghost delivers again; three of its last four did not: still on
	// the report, no longer suppressed.
	wantClasses(t, e.store, map[string]hygiene.Class{
		ghost:    hygiene.ClassRepeatedlyUndelivered,
		landline: hygiene.ClassLandline, flaky: hygiene.ClassRepeatedlyUndelivered, silent: hygiene.ClassNeverDelivered,
		stopped: hygiene.ClassOptedOut, manual: hygiene.ClassBarred,
	}, map[string]bool{landline: true})

	var out bytes.Buffer
	if err := e.store.ExportHygiene(ctx, "t1", hygiene.ClassBarred, func(b []byte) error { out.Write(b); return nil }); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != manual || recs[1][1] != "barred" || recs[1][10] != "false" {
		t.Fatalf("export = %v, %v", recs, err)
	}
}

// waitMessages waits until the writer has recorded n final statuses.
func waitMessages(t *testing.T, s *analytics.Store, n int) {
	t.Helper()
	testkit.Eventually(t, time.Minute, func() error {
		r, err := s.CampaignReport(context.Background(), "t1", "spring")
		if err != nil || r.Funnel.Finished() != int64(n) {
			return fmt.Errorf("%d of %d finished (%v)", r.Funnel.Finished(), n, err)
		}
		return nil
	})
}

// wantClasses checks the report's numbers, two at a time to use the pages.
func wantClasses(t *testing.T, s *analytics.Store, want map[string]hygiene.Class, suppressed map[string]bool) {
	t.Helper()
	got := map[string]hygiene.Class{}
	token := ""
	for {
		r, next, err := s.HygieneReport(context.Background(), "t1", hygiene.ClassNone, 2, token)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range r.Entries {
			got[h.Number] = h.Class
			if h.Suppressed != suppressed[h.Number] {
				t.Errorf("%s: suppressed %v, want %v", h.Number, h.Suppressed, suppressed[h.Number])
			}
		}
		if token = next; token == "" {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("classes %v\nwant    %v", got, want)
	}
}

// TestHygieneWithoutSuppressor: without a consent ledger the job still
// classifies and reports, and suppresses nothing.
func TestHygieneWithoutSuppressor(t *testing.T) {
	t.Parallel()
	e := newMixEnv(t, chtest.Store(t))
	msgs := []hygieneMsg{
		{ghost, core.StatusUndelivered, "001", 1}, {ghost, core.StatusUndelivered, "001", 2}, {ghost, core.StatusUndelivered, "001", 3},
		{fine, delivered, "", 1},
	}
	e.sendHygiene(t, time.Now().Add(-12*time.Hour).Truncate(time.Second), msgs, 0)
	runWriter(t, e.writer(t))
	waitMessages(t, e.store, len(msgs))
	job := analytics.NewHygieneJob(e.store, nil, nil, analytics.WithHygieneLogger(chtest.Logger(t)))
	runs, err := job.RunOnce(context.Background())
	if err != nil || len(runs) != 1 || runs[0].Numbers != 2 || runs[0].Classified != 1 || runs[0].Suppressed != 0 {
		t.Fatalf("RunOnce = %+v, %v; want 2 numbers, 1 classified, none suppressed", runs, err)
	}
	wantClasses(t, e.store, map[string]hygiene.Class{ghost: hygiene.ClassUnknownSubscriber}, nil)
}
