package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"runtime/debug"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/carriers/router"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/core/price"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/tenants"
)

func runServe(ctx context.Context, args []string) error {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	log, err := newLogger(c.logLevel)
	if err != nil {
		return err
	}
	syscall.Umask(0o077) // what tern and its local servers write under --data is the owner's only
	if os.Getenv("GOGC") == "" {
		// The heap is small and short-lived per message: collect less often.
		debug.SetGCPercent(200)
	}
	r, err := start(ctx, c, log)
	if r != nil {
		defer r.stack.shutdown()
	}
	if err != nil {
		return err
	}
	printRunning(os.Stdout, c, r)
	<-ctx.Done()
	log.Info("shutting down")
	return nil
}

// running is a started system.
type running struct {
	stack            *stack
	apiAddr          string
	metricsAddr      string // "" when /metrics is on the API's port
	devKey           string
	devAdminKey      string // --dev: the operator key of DATA/dev-admin-key
	devSender        string // --dev: the dev tenant's default sender
	simControl       string // --dev: the simulator's control endpoint, "" when not served
	devTwilio        string // --dev: the dev tenant's Twilio account, "AC…:token"
	devVerifyService string // --dev: that account's Verify service, "VA…"
	devDashboard     string // --dev: the dev tenant owner's dashboard login, "EMAIL PASSWORD"
	brokers          []string
	clickhouseAddr   string
	smscAddrs        []string
	postgresURL      string
	sim              *smscsim.Server // nil when a real carrier is configured
	ledger           *pipeline.Ledger
	store            *pipeline.Store
	smpp             *smppRunning // nil when the SMPP gateway is off
	devShopSecret    string       // --dev: the dev tenant's Shopify webhook secret
}

// system is tern serve's wiring: the configuration, and what each
// starter built for the starters after it. A starter reads only fields
// the starters before it in start's order set, and adds each part it
// starts to the stack as it starts it, so that the stack stops the parts
// in the reverse order.
type system struct {
	c   serveConfig // startKafka completes c.kafka
	log *slog.Logger
	st  *stack
	// r is what start returns; startStores sets the pipeline's store and
	// ledger in it, which the starters after it use.
	r *running

	reg     *prometheus.Registry
	metrics *pipeline.Metrics

	// startTenants: the config file, what it and --dev say about tenants
	// and keys, and the id key (message ids, consent keys)
	tenants fileConfig
	boot    tenants.Bootstrap
	idKey   []byte
	ids     *msgid.Issuer

	consent  consentParts // startConsent
	verify   verifyParts  // startVerify
	features featureParts // startFlows

	campaigns campaignParts // startContacts, startCampaigns

	deadLetters *pipeline.DeadLetterWriter // startKafka
	reports     *analytics.Store           // startAnalytics

	// startCarriers: one parse cache for the instance (intake, router and
	// quiet hours all look at the same recipients), the router over the
	// carriers, each carrier's in-doubt policy and the slots of them all.
	phones   *phone.Cache
	router   *router.Router
	policies map[string]pipeline.InDoubtPolicy
	slots    int

	// startPipeline
	intake  *pipeline.Intake
	cancels *pipeline.Canceler
	prices  *price.Table
}

// start starts the whole system: the starters in dependency order, each
// needing only parts started before it. The API comes last, so it is the
// first to stop. On error, the returned running (if not nil) holds what
// was started and must be shut down.
func start(ctx context.Context, c serveConfig, log *slog.Logger) (*running, error) {
	starters := []func(*system, context.Context) error{
		(*system).privateDataDir,
		(*system).startTenants,   // tenants, API keys, the id key
		(*system).startKafka,     // the in-process broker or a cluster, topics, dead letters
		(*system).startAnalytics, // ClickHouse, the analytics store
		(*system).startStores,    // PostgreSQL, the pipeline's store and ledger
		(*system).startConsent,   // tenants and keys, the consent ledger and suppression set
		(*system).startCarriers,  // the router and its carriers, or the simulator
		(*system).startReports,   // the analytics writer, with the routes' costs; list hygiene
		(*system).startContacts,  // contacts, templates, campaigns; the campaign states the actors ask
		(*system).startPipeline,  // receipt join, consumer, scheduler, intake
		(*system).startInbound,   // replies acted on (STOP, HELP), stopped before the intake it answers through
		(*system).startCampaigns, // the campaign runner, tracked links
		(*system).startVerify,    // verifications and the Twilio-compatible surface, over the intake
		(*system).startFlows,     // store events, flows, attribution, webhooks out; flows stop before the intake
		(*system).startGateway,   // the SMPP gateway, stopped before the intake it feeds
		(*system).startAPI,       // the front door
	}
	st := &stack{log: log}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &system{c: c, log: log, st: st, r: &running{stack: st}, reg: reg, metrics: pipeline.NewMetrics(reg)}
	for _, run := range starters {
		if err := run(s, ctx); err != nil {
			return s.r, err
		}
	}
	return s.r, nil
}

// privateDataDir makes --data private to tern's user (and to the local
// PostgreSQL's group when one runs below it).
func (s *system) privateDataDir(context.Context) error {
	return localsvc.PrivateDir(s.c.dataDir, s.c.dev && s.c.postgresURL == "")
}
