package analytics_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core"
)

func TestOpenTwiceIsIdempotent(t *testing.T) {
	t.Parallel()
	cfg := chtest.Config(t)
	for i := range 2 {
		s, err := analytics.Open(t.Context(), cfg, analytics.WithLogger(chtest.Logger(t)))
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		insert(t, s, ev("m1", "c1", core.StatusQueued, 0))
		if n := countRows(t, s, "SELECT count() FROM schema_migrations"); n != 8 {
			t.Fatalf("open %d: %d schema_migrations rows, want one per migration (8)", i+1, n)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Rerunning a migration must not change an answer: migration 2 backfills
// campaign_messages from events, which a second run repeats.
func TestMigrationsRerun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		drop []string
	}{
		{"record lost", []string{"schema_migrations"}},
		{"campaign view added to existing events", []string{"schema_migrations", "campaign_messages_mv", "campaign_messages"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := chtest.Config(t)
			s, err := analytics.Open(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			insert(t, s,
				ev("m1", "c1", core.StatusQueued, 0), ev("m1", "c1", core.StatusDelivered, 2),
				ev("m2", "c1", core.StatusQueued, 0))
			for _, table := range tt.drop {
				exec(t, s, "DROP TABLE "+table)
			}
			s.Close()

			s, err = analytics.Open(t.Context(), cfg)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer s.Close()
			got, err := s.CampaignStats(t.Context(), "t1", "c1")
			if err != nil {
				t.Fatal(err)
			}
			want := analytics.CampaignStats{CampaignID: "c1", Accepted: 2, Queued: 1, Delivered: 1, Segments: 2}
			if got != want {
				t.Fatalf("stats = %+v\nwant    %+v", got, want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	_, err := analytics.Open(t.Context(), analytics.Config{})
	if !errors.Is(err, analytics.ErrInvalidConfig) {
		t.Fatalf("Open(no addr) = %v, want ErrInvalidConfig", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := analytics.Open(ctx, analytics.Config{Addr: "127.0.0.1:1"}); err == nil {
		t.Fatal("Open on a closed port succeeded")
	}
}

func TestInsertRejectsInvalidRows(t *testing.T) {
	t.Parallel()
	s := chtest.Store(t)
	good := ev("m1", "c1", core.StatusQueued, 0)
	bad := ev("", "c1", core.StatusQueued, 0)
	if err := s.Insert(t.Context(), []analytics.Row{good, bad}); !errors.Is(err, analytics.ErrInvalidRow) {
		t.Fatalf("Insert = %v, want ErrInvalidRow", err)
	}
	if _, err := s.Message(t.Context(), "t1", "m1"); !errors.Is(err, analytics.ErrNotFound) {
		t.Fatalf("valid row of a rejected batch was inserted (Message err = %v)", err)
	}
}
