package analytics_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core/testkit"
)

// TestWriterFactsOfRecordsReadWhileInsertsFail: records that join a batch
// while ClickHouse refuses its insert get their facts too. The facts of a
// batch are derived again when records join it, not only when an insert
// of facts failed.
func TestWriterFactsOfRecordsReadWhileInsertsFail(t *testing.T) {
	t.Parallel()
	addr := broker(t)
	s := chtest.Store(t)
	p := newProducer(t, addr)
	kc := analytics.KafkaConfig{Brokers: []string{addr}, SubmitTopic: submitTopic, EventsTopic: eventsTopic}
	w := analytics.NewWriter(s, kc, analytics.WithLogger(chtest.Logger(t)))
	runWriter(t, w)
	accepted := func(n int64) func() error {
		return func() error {
			r, err := s.CampaignReport(context.Background(), "t1", "c1")
			if err != nil || r.Funnel.Accepted != n {
				return fmt.Errorf("accepted %d, want %d (%v)", r.Funnel.Accepted, n, err)
			}
			return nil
		}
	}
	p.send(p.submit("t1", "m1", "c1", 1, t0))
	testkit.Eventually(t, 30*time.Second, accepted(1))

	// The facts table answers, the events table is gone: the batch's
	// facts are looked up, its insert fails, and a record joins it.
	exec(t, s, "RENAME TABLE events TO events_away")
	p.send(p.submit("t1", "m2", "c1", 1, t0))
	testkit.Eventually(t, 30*time.Second, func() error {
		if st := w.Stats(); st.FailedInserts < 1 {
			return fmt.Errorf("stats %+v: no failed insert yet", st)
		}
		return nil
	})
	p.send(p.submit("t1", "m03", "c1", 1, t0))
	testkit.Eventually(t, 30*time.Second, func() error {
		if st := w.Stats(); st.Records != 3 {
			return fmt.Errorf("stats %+v: want the third record read", st)
		}
		return nil
	})
	exec(t, s, "RENAME TABLE events_away TO events")
	testkit.Eventually(t, 30*time.Second, accepted(3))
}
