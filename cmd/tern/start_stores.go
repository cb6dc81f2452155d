package main

import (
	"context"
	"time"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/pipeline"
)

// startAnalytics opens the ClickHouse store the reports read;
// startReports runs the writer that fills it.
func (s *system) startAnalytics(ctx context.Context) error {
	c := s.c
	chAddr, err := s.startLocalClickHouse(ctx)
	if err != nil {
		return err
	}
	s.r.clickhouseAddr = chAddr
	store, err := analytics.Open(ctx, analytics.Config{Addr: chAddr, Database: c.clickhouseDatabase,
		Username: c.clickhouseLogin.user, Password: c.clickhouseLogin.pass(),
		TenantReads: c.tenantReads, TenantReadRate: c.tenantReadRate}, analytics.WithLogger(s.log))
	if err != nil {
		return err
	}
	s.st.onStop("analytics store", func(context.Context) error { return store.Close() })
	s.reports = store
	return nil
}

// startStores opens the pipeline's PostgreSQL store (idempotency keys,
// the delivery ledger, the receipt join, schedules) and runs the ledger
// and the janitors that keep both tables within their retention.
func (s *system) startStores(ctx context.Context) error {
	pgURL, err := s.startLocalPostgres(ctx)
	if err != nil {
		return err
	}
	s.r.postgresURL = pgURL
	pstore, err := pipeline.OpenStore(ctx, pgURL, s.log)
	if err != nil {
		return err
	}
	s.st.onStop("postgres pool", func(context.Context) error { pstore.Close(); return nil })
	s.r.store = pstore
	s.st.goRun("idempotency janitor", func(ctx context.Context) error { return pstore.Janitor(ctx, 48*time.Hour, 10*time.Minute) })
	s.r.ledger = pipeline.NewLedger(pstore, s.metrics)
	s.st.goRun("ledger", s.r.ledger.Run)
	s.st.goRun("ledger janitor", func(ctx context.Context) error {
		return pstore.LedgerJanitor(ctx, s.c.retention, 10*time.Minute, s.metrics)
	})
	return nil
}
