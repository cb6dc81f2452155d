package analytics_test

import (
	"testing"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core"
)

func TestCampaignStats(t *testing.T) {
	t.Parallel()
	s := chtest.Store(t)

	m1Queued := ev("m1", "c1", core.StatusQueued, 0)
	m1Queued.Segments = 3
	// A receipt that does not repeat the segment count must not lower it.
	m1Delivered := ev("m1", "c1", core.StatusDelivered, 5)
	m1Delivered.Segments = 0
	otherTenant := ev("m9", "c1", core.StatusDelivered, 1)
	otherTenant.TenantID = "t2"

	batches := [][]analytics.Row{
		// Receipts first: the submit topic lags the events topic.
		{m1Delivered, ev("m4", "c1", core.StatusUndelivered, 4), ev("m5", "c1", core.StatusFailed, 1)},
		{m1Queued, ev("m1", "c1", core.StatusSubmitted, 1)},
		{ev("m2", "c1", core.StatusQueued, 0), ev("m2", "c1", core.StatusSubmitted, 1)},
		{ev("m3", "c1", core.StatusQueued, 0)},
		// A late SUBMITTED (ENROUTE receipt) after the final one: rank wins.
		{ev("m4", "c1", core.StatusQueued, 0), ev("m4", "c1", core.StatusSubmitted, 9)},
		// Two finals: the later one wins.
		{ev("m6", "c1", core.StatusUnknown, 3), ev("m6", "c1", core.StatusDelivered, 7)},
		// Two finals at the same instant: the higher status wins.
		{ev("m7", "c1", core.StatusExpired, 3), ev("m7", "c1", core.StatusRejected, 3)},
		// Two finals in the same second: the nanoseconds decide.
		{ev("m8", "c1", core.StatusDelivered, 3.25), ev("m8", "c1", core.StatusUndelivered, 3.5)},
		// Not this campaign.
		{ev("m10", "c2", core.StatusQueued, 0), ev("m11", "", core.StatusQueued, 0), otherTenant},
	}
	for _, b := range batches {
		insert(t, s, b...)
	}
	want := analytics.CampaignStats{
		CampaignID: "c1",
		Accepted:   8,
		Queued:     1, // m3
		Submitted:  1, // m2
		Delivered:  2, // m1, m6
		// m4, m8
		Undelivered: 2,
		Rejected:    1, // m7
		Failed:      1, // m5
		Segments:    3 + 7,
	}
	check := func(stage string) {
		t.Helper()
		got, err := s.CampaignStats(t.Context(), "t1", "c1")
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s: stats = %+v\nwant          %+v", stage, got, want)
		}
	}
	check("once")

	// At-least-once: every row again, in another order.
	for i := len(batches) - 1; i >= 0; i-- {
		insert(t, s, batches[i]...)
	}
	check("twice")

	// And after the merges that fold duplicates and states together.
	exec(t, s, "OPTIMIZE TABLE events FINAL")
	exec(t, s, "OPTIMIZE TABLE campaign_messages FINAL")
	check("merged")
}

func TestCampaignStatsEmpty(t *testing.T) {
	t.Parallel()
	s := chtest.Store(t)
	got, err := s.CampaignStats(t.Context(), "t1", "nope")
	if err != nil {
		t.Fatal(err)
	}
	if want := (analytics.CampaignStats{CampaignID: "nope"}); got != want {
		t.Fatalf("stats = %+v, want %+v", got, want)
	}
}

// Ids reach the queries as bound arguments, never as SQL.
func TestQueriesQuoteIDs(t *testing.T) {
	t.Parallel()
	s := chtest.Store(t)
	ids := []string{`c'1`, `c\'1`, `c1' OR '1'='1`, "c\x00\n1", `c"1`}
	for _, id := range ids {
		r := ev(id, id, core.StatusQueued, 0)
		r.TenantID = id
		insert(t, s, r)
	}
	insert(t, s, ev("plain", "c1", core.StatusQueued, 0))
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			got, err := s.CampaignStats(t.Context(), id, id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Accepted != 1 {
				t.Fatalf("CampaignStats(%q) = %+v, want 1 message", id, got)
			}
			v, err := s.Message(t.Context(), id, id)
			if err != nil {
				t.Fatal(err)
			}
			if v.ID != id || v.CampaignID != id {
				t.Fatalf("Message(%q) = %+v", id, v)
			}
		})
	}
}
