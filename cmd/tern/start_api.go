package main

import (
	"context"
	"net/http"

	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/core/gsm"
)

// startAPI serves the API on --listen: gRPC, gRPC-Web and Connect, on
// grpc-go for gRPC connections with --grpc-go, and /metrics there unless
// --metrics-listen serves it. SIGHUP reloads its certificate and the SMPP
// gateway's. It starts last, so it stops first.
func (s *system) startAPI(ctx context.Context) error {
	c := s.c
	defaultTables, _ := gsm.ParseLanguages(c.shiftTables) // checked by Validate
	dash, err := s.startDashboard(ctx)
	if err != nil {
		return err
	}
	p := &s.consent
	deps := api.Deps{Keys: p.registry, Sender: s.intake, Reports: s.reports, IDs: s.ids, Log: s.log,
		Cancels:     s.cancels,
		ShiftTables: s.tenants.shiftTables(defaultTables), Prices: s.prices,
		Admin: api.NewAdminService(api.AdminDeps{Tenants: p.store, Keys: p.store, Senders: p.store, Log: s.log}),
		Contacts: &api.ContactDeps{Writer: p.ledger, Reader: p.ledger, Replies: p.replies,
			Tenants: p.registry, Sender: s.intake, Log: s.log},
		Verify: s.verify.service, Twilio: s.verify.twilio,
		Web: dash.web, Sessions: dash.sessions}
	deps.Events, deps.Flows, deps.Webhooks = s.features.apiDeps(s)
	deps.Analytics, deps.Hygiene = s.reports, p.ledger
	s.campaigns.apiDeps(s, &deps)
	h, err := api.NewHandler(deps)
	if err != nil {
		return err
	}
	ln, opts, cert, err := c.api.listen(c.listen, s.reg)
	if err != nil {
		return err
	}
	if c.grpcGo {
		g, err := api.NewGRPCServer(deps, opts...)
		if err != nil {
			ln.Close()
			return err
		}
		opts = append(opts, api.WithGRPC(g))
	}
	reloadOnHangup(s.st, s.log, cert, s.r.smpp.tlsCert())
	root := http.NewServeMux()
	if s.r.metricsAddr, err = serveMetrics(c, root, s.reg, s.st, s.log); err != nil {
		return err
	}
	root.Handle("/", h)
	srv := api.NewServer(root, opts...)
	go func() {
		if err := srv.Serve(ln); err != nil {
			s.log.Error("api", "err", err)
		}
	}()
	s.st.onStop("api", srv.Shutdown)
	s.r.apiAddr = ln.Addr().String()
	return nil
}
