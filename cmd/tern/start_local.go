package main

import (
	"context"
	"path/filepath"

	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
)

// startLocalClickHouse returns --clickhouse-addr, or without it (--dev)
// starts a private ClickHouse under DATA/clickhouse and returns its
// address.
func (s *system) startLocalClickHouse(ctx context.Context) (string, error) {
	c := s.c
	if c.clickhouseAddr != "" {
		return c.clickhouseAddr, nil
	}
	ch, err := localsvc.StartClickHouse(ctx, localsvc.ClickHouseConfig{
		Dir:      filepath.Join(c.dataDir, "clickhouse"),
		TCPPort:  c.clickhouseTCPPort,
		HTTPPort: c.clickhouseHTTPPort,
		User:     c.clickhouseLogin.user,
		Password: c.clickhouseLogin.pass(),
	}, s.log)
	if err != nil {
		return "", err
	}
	s.st.onStop("clickhouse", ch.Stop)
	return ch.Addr(), nil
}

// startLocalPostgres returns --postgres-url, or without it (--dev) starts
// a private PostgreSQL cluster under DATA/postgres and returns its URL.
func (s *system) startLocalPostgres(ctx context.Context) (string, error) {
	if s.c.postgresURL != "" {
		return s.c.postgresURL, nil
	}
	pg, err := localsvc.StartPostgres(ctx, localsvc.PostgresConfig{
		Dir:  filepath.Join(s.c.dataDir, "postgres"),
		Port: s.c.postgresPort,
	}, s.log)
	if err != nil {
		return "", err
	}
	s.st.onStop("postgres", pg.Stop)
	return pg.URL(), nil
}
