package analytics_test

import (
	"errors"
	"testing"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core"
)

// TestReportsReadLimits: Message and CampaignStats share a tenant's rate
// of report queries; beyond it they fail with ErrReadLimited without
// running, while another tenant's queries go on.
func TestReportsReadLimits(t *testing.T) {
	t.Parallel()
	cfg := chtest.Config(t)
	cfg.TenantReadRate = 0.01 // one query now, the next in 100 s
	s, err := analytics.Open(t.Context(), cfg, analytics.WithLogger(chtest.Logger(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	insert(t, s, ev("m1", "c1", core.StatusQueued, 0))
	if _, err := s.Message(t.Context(), "t1", "m1"); err != nil {
		t.Fatalf("first query: %v", err)
	}
	if _, err := s.Message(t.Context(), "t1", "m1"); !errors.Is(err, analytics.ErrReadLimited) {
		t.Fatalf("Message over the tenant's rate: %v, want ErrReadLimited", err)
	}
	if _, err := s.CampaignStats(t.Context(), "t1", "c1"); !errors.Is(err, analytics.ErrReadLimited) {
		t.Fatalf("CampaignStats over the tenant's rate: %v, want ErrReadLimited", err)
	}
	if st, err := s.CampaignStats(t.Context(), "t2", "c1"); err != nil || st.Accepted != 0 {
		t.Fatalf("another tenant: %+v %v", st, err)
	}
}
