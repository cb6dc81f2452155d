package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core"
)

// t0 is the start of every test's timeline.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// ev is a row of tenant t1 at t0 plus sec seconds.
func ev(msg, campaign string, st core.Status, sec float64) analytics.Row {
	return analytics.Row{
		TenantID:   "t1",
		MessageID:  msg,
		CampaignID: campaign,
		Status:     st,
		Time:       t0.Add(time.Duration(sec * float64(time.Second))),
		Segments:   1,
	}
}

func insert(t *testing.T, s *analytics.Store, rows ...analytics.Row) {
	t.Helper()
	if err := s.Insert(t.Context(), rows); err != nil {
		t.Fatal(err)
	}
}

// exec runs a statement in the store's database outside the store, for
// checks and for forcing merges.
func exec(t *testing.T, s *analytics.Store, stmt string) {
	t.Helper()
	conn := rawConn(t, s)
	if err := conn.Exec(t.Context(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

func rawConn(t *testing.T, s *analytics.Store) clickhouse.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{chtest.Addr(t)},
		Auth: clickhouse.Auth{Database: s.Database()},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func countRows(t *testing.T, s *analytics.Store, query string) uint64 {
	t.Helper()
	var n uint64
	if err := rawConn(t, s).QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
