package main

import (
	"context"
	"net/http"
	"time"

	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/api/web"
	"github.com/ternsms/tern/pipeline/tenants"
)

// dashboard is what the API serves the dashboard with: the app embedded
// in the binary, and the dashboard users' sessions.
type dashboard struct {
	web      http.Handler
	sessions *api.Sessions
}

// startDashboard serves the users and sessions of the tenant store
// (startConsent) and runs the janitor of ended sessions; with --dev it
// keeps the dev tenant's owner login in DATA/dev-dashboard-login. A
// binary built without the app serves a page saying so.
func (s *system) startDashboard(ctx context.Context) (dashboard, error) {
	w, err := web.New()
	if err != nil {
		return dashboard{}, err
	}
	if !w.Built() {
		s.log.Warn("dashboard not built: / serves a page saying so; run make web, then build tern")
	}
	store := s.consent.store
	if s.c.dev {
		email, password, err := devDashboardLogin(ctx, store, s.c.dataDir, "dev")
		if err != nil {
			return dashboard{}, err
		}
		s.r.devDashboard = email + " " + password
	}
	logins := tenants.NewLogins(store, tenants.LoginPolicy{})
	s.st.goRun("session janitor", func(ctx context.Context) error {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if _, err := logins.PruneSessions(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("session janitor", "err", err)
			}
		}
	})
	return dashboard{web: w, sessions: api.NewSessions(logins, logins, api.WithSessionLog(s.log))}, nil
}
