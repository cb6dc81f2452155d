package main

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/router"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/core/price"
	"github.com/ternsms/tern/pipeline"
)

// serveConfig is everything `tern serve` is told by flags.
type serveConfig struct {
	dev        bool
	dataDir    string
	configFile string
	listen     string
	logLevel   string

	metricsListen string

	kafka       pipeline.KafkaConfig
	brokers     string
	kafkaListen string
	kafkaSync   bool
	kafkaSec    kafkaSecurity
	grpcGo      bool

	clickhouseAddr     string
	clickhouseDatabase string
	clickhouseLogin    clickhouseLogin
	clickhouseTCPPort  int
	clickhouseHTTPPort int
	tenantReads        int     // analytics.Config.TenantReads
	tenantReadRate     float64 // analytics.Config.TenantReadRate

	postgresURL  string
	postgresPort int

	window      int
	shiftTables string
	prices      string
	validity    time.Duration
	retention   time.Duration
	// receiptGrace: a message without receipt ends UNKNOWN this long
	// after its validity.
	receiptGrace time.Duration

	carriers   []string
	routes     []string
	routesFile string
	sim        smscsim.Config

	smpp smppFlags    // the SMPP gateway (smpp_gateway.go)
	api  apiDoorFlags // the API's listener (front_door.go)
}

func (c *serveConfig) flags(fs *flag.FlagSet) {
	fs.BoolVar(&c.dev, "dev", false, "development mode: one tenant with a random API key in DATA/dev-api-key, local ClickHouse, id key in DATA/id-key")
	fs.StringVar(&c.dataDir, "data", "data", "directory for local state (Kafka log, ClickHouse, keys)")
	fs.StringVar(&c.configFile, "config", "", "YAML file with tenants and their API key hashes")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "address of the API (gRPC, gRPC-Web and Connect over h2c)")
	fs.BoolVar(&c.grpcGo, "grpc-go", true, "serve HTTP/2 connections whose first call is gRPC with grpc-go (less CPU per call); false serves every connection with net/http, so a proxy may mix gRPC and Connect calls on one connection")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.brokers, "kafka-brokers", "", "comma-separated Kafka brokers; empty starts an in-process broker")
	fs.StringVar(&c.kafkaListen, "kafka-listen", "127.0.0.1:9092", "address of the in-process broker")
	fs.BoolVar(&c.kafkaSync, "kafka-sync-writes", false, "in-process broker: "+syncWritesUsage)
	c.kafkaSec.flags(fs)
	fs.StringVar(&c.metricsListen, "metrics-listen", "", metricsUsage)
	fs.IntVar(&c.kafka.Partitions, "kafka-partitions", 0, fmt.Sprintf("partitions of each topic tern creates; 0: %d with the in-process broker, %d with --kafka-brokers", embeddedPartitions, clusterPartitions))
	fs.StringVar(&c.kafka.Topics.Submit, "topic-submit", "tern.submit", "topic of accepted messages")
	fs.StringVar(&c.kafka.Topics.OTP, "topic-otp", "tern.submit.otp", "topic of accepted OTP messages, a lane of their own")
	fs.StringVar(&c.kafka.Topics.Marketing, "topic-marketing", "tern.submit.marketing", "topic of accepted marketing messages, a lane of their own")
	fs.StringVar(&c.kafka.Topics.Events, "topic-events", "tern.events", "topic of status events")
	fs.StringVar(&c.kafka.Topics.Receipts, "topic-receipts", "tern.receipts", "topic of carrier receipts")
	fs.StringVar(&c.kafka.Topics.MO, "topic-mo", "tern.mo", "topic of customers' replies (mobile-originated messages)")
	fs.StringVar(&c.clickhouseAddr, "clickhouse-addr", "", "ClickHouse native address; empty with --dev starts a local server under DATA/clickhouse")
	fs.StringVar(&c.clickhouseDatabase, "clickhouse-database", "tern", "ClickHouse database")
	c.clickhouseLogin.flags(fs)
	fs.IntVar(&c.tenantReads, "tenant-reads", analytics.DefaultTenantReads, "report queries (GetMessage, GetCampaignStats, query_sm) one tenant runs at once on this instance; more get ResourceExhausted (ESME_RTHROTTLED over SMPP)")
	fs.Float64Var(&c.tenantReadRate, "tenant-read-rate", analytics.DefaultTenantReadRate, "report queries one tenant may start a second on this instance, in bursts of a second's worth; more get ResourceExhausted (ESME_RTHROTTLED over SMPP)")
	fs.IntVar(&c.clickhouseTCPPort, "clickhouse-port", 19000, "native port of the local ClickHouse (--dev)")
	fs.IntVar(&c.clickhouseHTTPPort, "clickhouse-http-port", 18123, "HTTP port of the local ClickHouse (--dev)")
	fs.StringVar(&c.postgresURL, "postgres-url", "", "PostgreSQL URL; empty with --dev starts a local cluster under DATA/postgres")
	fs.IntVar(&c.postgresPort, "postgres-port", 15432, "port of the local PostgreSQL (--dev)")
	fs.IntVar(&c.window, "actor-window", 64, "messages each partition actor works on at once (fetched, not finished); up to 8 times as many may wait finished behind a slow one for their offset commit")
	fs.StringVar(&c.shiftTables, "shift-tables", "", "national language shift tables messages may use unless a tenant or request says otherwise, e.g. tr,es,pt")
	fs.DurationVar(&c.validity, "validity", 48*time.Hour, "how long after its send time a message may still go out; later it ends EXPIRED")
	fs.DurationVar(&c.retention, "ledger-retention", 7*24*time.Hour, "how long the delivery ledger keeps a message's row after its intent; at least --validity plus 24h")
	fs.DurationVar(&c.receiptGrace, "receipt-grace", 6*time.Hour, "how long after --validity a carrier's receipt may still come; a message a carrier accepted that has none by then ends UNKNOWN, reason \"no receipt\"")
	fs.StringVar(&c.prices, "prices", "", "CSV price table (country,route,price,currency); empty with --dev uses an example table")
	fs.Func("carrier", "a carrier, repeatable: NAME=smpp://SYSTEM_ID:PASSWORD@HOST:PORT?window=N&tps=N&binds=N&in_doubt=resubmit|fail&cost=0.004&currency=USD; none starts the simulator SMSC in-process", func(v string) error {
		c.carriers = append(c.carriers, v)
		return nil
	})
	fs.Func("route", "a route, repeatable: MATCH=CARRIER[:PRIORITY][@COST],... where MATCH is a country (US), an E.164 prefix (+4479) or *", func(v string) error {
		c.routes = append(c.routes, v)
		return nil
	})
	fs.StringVar(&c.routesFile, "routes", "", "YAML file of carriers, routes and breaker settings (see carriers/router)")
	fs.StringVar(&c.sim.Addr, "sim-listen", "127.0.0.1:2776", "address of the in-process simulator SMSC")
	fs.Int64Var(&c.sim.Seed, "sim-seed", 1, "simulator outcome seed")
	fs.Float64Var(&c.sim.DeliveredRatio, "sim-delivered", 0.95, "share of messages the simulator delivers")
	fs.Float64Var(&c.sim.UndeliveredRatio, "sim-undelivered", 0.05, "share of messages the simulator reports undelivered")
	fs.DurationVar(&c.sim.ReceiptDelay, "sim-receipt-delay", 500*time.Millisecond, "delay before the simulator sends a receipt")
	c.smpp.flags(fs)
	c.api.flags(fs)
}

// Partitions of the topics tern creates unless --kafka-partitions says.
// One instance on the in-process broker gains nothing from more partitions
// than its actors need to fill the carrier windows (4 × --actor-window 64 in
// each lane against 100 slots), while every partition's batch costs the broker a
// write and each consumer a read (bench/RESULTS.md, "Fewer partitions").
// A cluster keeps 16, so up to 16 instances can share the work.
const (
	embeddedPartitions = 4
	clusterPartitions  = 16
)

// partitions returns the partition count for topics tern creates.
func (c *serveConfig) partitions() int {
	switch {
	case c.kafka.Partitions > 0:
		return c.kafka.Partitions
	case c.brokers == "":
		return embeddedPartitions
	default:
		return clusterPartitions
	}
}

func (c *serveConfig) Validate() error {
	if c.dataDir == "" {
		return errors.New("--data is required")
	}
	if !c.dev && c.configFile == "" {
		return errNoTenants
	}
	if !c.dev && c.clickhouseAddr == "" {
		return errors.New("--clickhouse-addr is required without --dev")
	}
	if !c.dev && c.postgresURL == "" {
		return errors.New("--postgres-url is required without --dev")
	}
	if c.kafka.Partitions < 0 {
		return fmt.Errorf("--kafka-partitions %d: want at least 1, or 0 for the default", c.kafka.Partitions)
	}
	if t := c.kafka.Topics; t.OTP == t.Submit || t.Marketing == t.Submit || t.OTP == t.Marketing {
		return fmt.Errorf("--topic-submit %q, --topic-otp %q, --topic-marketing %q: want three different topics, one per lane", t.Submit, t.OTP, t.Marketing)
	}
	if _, err := gsm.ParseLanguages(c.shiftTables); err != nil {
		return fmt.Errorf("--shift-tables: %w", err)
	}
	if c.validity <= 0 {
		return fmt.Errorf("--validity %s: want more than 0", c.validity)
	}
	if least := c.validity + pipeline.MinLedgerRetentionOverValidity; c.retention < least {
		return fmt.Errorf("--ledger-retention %s: want at least %s (--validity %s plus %s), or receipts and retried messages could lose their ledger rows",
			c.retention, least, c.validity, pipeline.MinLedgerRetentionOverValidity)
	}
	if c.receiptGrace <= 0 || c.validity+c.receiptGrace > c.retention {
		return fmt.Errorf("--receipt-grace %s: want more than 0, and --validity plus it within --ledger-retention %s", c.receiptGrace, c.retention)
	}
	return cmp.Or(c.api.validate(), c.smpp.validate(c.api))
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

// stack is the running system, stopped in reverse dependency order.
type stack struct {
	log  *slog.Logger
	stop []func(context.Context) // run last-added first
}

func (s *stack) onStop(name string, f func(context.Context) error) {
	s.stop = append(s.stop, func(ctx context.Context) {
		if err := f(ctx); err != nil {
			s.log.Warn("stop", "part", name, "err", err)
		}
	})
}

func (s *stack) shutdown() {
	for i := len(s.stop) - 1; i >= 0; i-- {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		s.stop[i](ctx)
		cancel()
	}
}

// goRun starts run in a goroutine with its own context; stopping cancels
// it and waits for run to return.
func (s *stack) goRun(name string, run func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := run(ctx); err != nil {
			s.log.Error("stopped", "part", name, "err", err)
		}
	}()
	s.onStop(name, func(stopCtx context.Context) error {
		cancel()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-stopCtx.Done():
			return fmt.Errorf("%s did not stop in time", name)
		}
	})
}

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
	fmt.Printf("tern is running\n")
	fmt.Printf("  API (gRPC, gRPC-Web, Connect): %s://%s\n", c.api.scheme(), r.apiAddr)
	if c.dev {
		fmt.Printf("  dev API key:                   %s  (also in %s)\n", r.devKey, filepath.Join(c.dataDir, "dev-api-key"))
	}
	fmt.Printf("  Kafka:                         %s\n", strings.Join(r.brokers, ","))
	fmt.Printf("  ClickHouse (native):           %s  database %s\n", r.clickhouseAddr, c.clickhouseDatabase)
	fmt.Printf("  PostgreSQL:                    %s%s\n", redactURL(r.postgresURL), c.postgresPasswordNote())
	fmt.Printf("  carriers:                      %s\n", strings.Join(r.smscAddrs, ", "))
	if r.smpp != nil {
		fmt.Printf("  SMPP gateway:                  %s\n", r.smpp.srv.Addr())
		if a := r.smpp.srv.TLSAddr(); a != "" {
			fmt.Printf("  SMPP gateway over TLS:         %s\n", a)
		}
		if r.smpp.devAccount != "" {
			fmt.Printf("  dev SMPP account:              %s  (also in %s)\n", r.smpp.devAccount, r.smpp.devAccountFile)
		}
	}
	metrics := c.api.scheme() + "://" + r.apiAddr
	if r.metricsAddr != "" {
		metrics = "http://" + r.metricsAddr
	}
	fmt.Printf("  metrics:                       %s/metrics\n", metrics)
	fmt.Printf("Press Ctrl-C to stop.\n")
	<-ctx.Done()
	log.Info("shutting down")
	return nil
}

// running is a started system.
type running struct {
	stack          *stack
	apiAddr        string
	metricsAddr    string // "" when /metrics is on the API's port
	devKey         string
	brokers        []string
	clickhouseAddr string
	smscAddrs      []string
	postgresURL    string
	sim            *smscsim.Server // nil when a real carrier is configured
	ledger         *pipeline.Ledger
	store          *pipeline.Store
	smpp           *smppRunning // nil when the SMPP gateway is off
}

// start starts the whole system. On error, the returned running (if not
// nil) holds what was started and must be shut down.
func start(ctx context.Context, c serveConfig, log *slog.Logger) (*running, error) {
	st := &stack{log: log}
	r := &running{stack: st}
	if err := localsvc.PrivateDir(c.dataDir, c.dev && c.postgresURL == ""); err != nil {
		return r, err
	}

	// Tenants, keys and the id key.
	fc, err := loadFileConfig(c.configFile)
	if err != nil {
		return r, err
	}
	hashes := fc.keyHashes()
	var devKey string
	idKeyFile := fc.IDKeyFile
	if c.dev {
		devKey, err = readOrCreate(filepath.Join(c.dataDir, "dev-api-key"), newAPIKey)
		if err != nil {
			return r, fmt.Errorf("dev api key: %w", err)
		}
		hashes["dev"] = append(hashes["dev"], api.KeyHash(devKey))
		if idKeyFile == "" {
			idKeyFile = filepath.Join(c.dataDir, "id-key")
			if _, err := readOrCreate(idKeyFile, func() string { return hex.EncodeToString(newSecret(32)) }); err != nil {
				return r, fmt.Errorf("id key: %w", err)
			}
		}
	}
	if len(hashes) == 0 {
		return r, errNoTenants
	}
	if idKeyFile == "" {
		return r, errors.New("config: id_key_file is required without --dev")
	}
	keys, err := api.NewKeyring(hashes)
	if err != nil {
		return r, err
	}
	idKey, err := readIDKey(idKeyFile)
	if err != nil {
		return r, err
	}
	ids, err := msgid.NewIssuer(idKey)
	if err != nil {
		return r, err
	}

	// Kafka.
	c.kafka.Brokers = splitList(c.brokers)
	c.kafka.Partitions = c.partitions()
	if err := c.kafkaSec.apply(&c.kafka); err != nil {
		return r, err
	}
	if len(c.kafka.Brokers) == 0 {
		broker, err := startBroker(c.kafkaListen, filepath.Join(c.dataDir, "kafka"), c.kafka.Partitions, c.kafkaSync, c.kafka.SASL)
		if err != nil {
			return r, err
		}
		st.onStop("kafka broker", func(context.Context) error { broker.Close(); return nil })
		c.kafka.Brokers = broker.ListenAddrs()
	}
	c.kafka = c.kafka.WithDefaults()
	if err := pipeline.EnsureTopics(ctx, c.kafka); err != nil {
		return r, err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := pipeline.NewMetrics(reg)
	// Records the analytics writer, the receipt joiner and the SMPP
	// gateway's feed give up on go to the dead-letter topic.
	deadLetters, err := pipeline.NewDeadLetterWriter(c.kafka, metrics)
	if err != nil {
		return r, err
	}
	st.onStop("dead letters", func(context.Context) error { return deadLetters.Close() })

	// ClickHouse and the analytics writer.
	chAddr := c.clickhouseAddr
	if chAddr == "" {
		ch, err := localsvc.StartClickHouse(ctx, localsvc.ClickHouseConfig{
			Dir:      filepath.Join(c.dataDir, "clickhouse"),
			TCPPort:  c.clickhouseTCPPort,
			HTTPPort: c.clickhouseHTTPPort,
			User:     c.clickhouseLogin.user,
			Password: c.clickhouseLogin.pass(),
		}, log)
		if err != nil {
			return r, err
		}
		st.onStop("clickhouse", ch.Stop)
		chAddr = ch.Addr()
	}
	store, err := analytics.Open(ctx, analytics.Config{Addr: chAddr, Database: c.clickhouseDatabase,
		Username: c.clickhouseLogin.user, Password: c.clickhouseLogin.pass(),
		TenantReads: c.tenantReads, TenantReadRate: c.tenantReadRate}, analytics.WithLogger(log))
	if err != nil {
		return r, err
	}
	st.onStop("analytics store", func(context.Context) error { return store.Close() })
	writer := analytics.NewWriter(store, analytics.KafkaConfig{
		Brokers:     c.kafka.Brokers,
		SubmitTopic: c.kafka.Topics.Submit,
		LaneTopics:  []string{c.kafka.Topics.OTP, c.kafka.Topics.Marketing},
		EventsTopic: c.kafka.Topics.Events,
		ClientOpts:  c.kafka.ClientOpts(),
	}, analytics.WithLogger(log), analytics.WithDeadLetters(deadLetters))
	st.goRun("analytics writer", writer.Run)

	// PostgreSQL: the pipeline's ledger, idempotency keys and receipt join.
	pgURL := c.postgresURL
	if pgURL == "" {
		pg, err := localsvc.StartPostgres(ctx, localsvc.PostgresConfig{
			Dir:  filepath.Join(c.dataDir, "postgres"),
			Port: c.postgresPort,
		}, log)
		if err != nil {
			return r, err
		}
		st.onStop("postgres", pg.Stop)
		pgURL = pg.URL()
	}
	pstore, err := pipeline.OpenStore(ctx, pgURL, log)
	if err != nil {
		return r, err
	}
	st.onStop("postgres pool", func(context.Context) error { pstore.Close(); return nil })
	st.goRun("idempotency janitor", func(ctx context.Context) error { return pstore.Janitor(ctx, 48*time.Hour, 10*time.Minute) })
	ledger := pipeline.NewLedger(pstore, metrics)
	st.goRun("ledger", ledger.Run)
	st.goRun("ledger janitor", func(ctx context.Context) error {
		return pstore.LedgerJanitor(ctx, c.retention, 10*time.Minute, metrics)
	})

	// Carriers: the configured SMSCs and routes, or the in-process simulator.
	routing, err := c.routing()
	if err != nil {
		return r, err
	}
	if len(routing.Carriers) == 0 {
		sim, err := smscsim.New(c.sim, smscsim.WithLogger(log))
		if err != nil {
			return r, err
		}
		// The simulator lives until the stack stops it, not until ctx ends.
		if err := sim.Start(context.WithoutCancel(ctx)); err != nil {
			return r, err
		}
		st.onStop("simulator smsc", func(context.Context) error { return sim.Close() })
		r.sim = sim
		simCarrier, err := router.ParseCarrier("sim=smpp://tern:tern@" + sim.Addr())
		if err != nil {
			return r, err
		}
		routing.Carriers = []router.CarrierConfig{simCarrier}
	}
	// One parse cache for the instance: intake, router and quiet hours all
	// look at the same recipients.
	phones := phone.NewCache(200_000)
	receipts, err := pipeline.NewReceiptSink(c.kafka)
	if err != nil {
		return r, err
	}
	st.onStop("receipt sink", func(context.Context) error { return receipts.Close() })
	rt, err := router.New(routing, func(cc router.CarrierConfig) (carriers.Carrier, error) {
		return smpp.NewClient(cc.SMPP, smpp.WithReceiptHandler(receipts.Handle),
			smpp.WithInboundHandler(receipts.HandleInbound), smpp.WithLogger(log))
	}, router.WithLogger(log), router.WithRegisterer(reg), router.WithPhoneCache(phones))
	if err != nil {
		return r, err
	}
	policies := map[string]pipeline.InDoubtPolicy{}
	slots := 0
	for _, cc := range routing.Carriers {
		if policies[cc.Name], err = pipeline.ParseInDoubtPolicy(rt.InDoubtPolicy(cc.Name)); err != nil {
			return r, err
		}
		slots += cmp.Or(cc.SMPP.Window, 100) * max(cc.SMPP.Binds, 1)
		r.smscAddrs = append(r.smscAddrs, cc.Name+"="+cc.SMPP.Addr)
	}
	for _, carrier := range rt.Carriers() {
		client := carrier.(*smpp.Client)
		st.goRun("carrier "+client.Name(), client.Run)
		st.onStop("carrier "+client.Name()+" unbind", client.Close) // before Run is cancelled
	}

	// Pipeline.
	joiner := pipeline.NewReceiptJoiner(c.kafka, pstore, metrics, log)
	st.goRun("receipt joiner", joiner.Run)
	st.goRun("receipt sweeper", pipeline.NewReceiptSweeper(c.kafka, pstore, c.validity+c.receiptGrace, metrics, log).Run)
	quietHours, err := fc.quietPolicies()
	if err != nil {
		return r, err
	}
	consumer, err := pipeline.NewConsumer(c.kafka, rt, ledger,
		pipeline.WithConsumerLogger(log), pipeline.WithMetrics(metrics),
		pipeline.WithWindow(c.window),
		pipeline.WithInDoubtPolicies(policies),
		pipeline.WithCarrierWindow(slots),
		pipeline.WithLimits(pipeline.NewLimits(fc.limits())),
		pipeline.WithQuietHours(quietHours), pipeline.WithConsumerPhones(phones))
	if err != nil {
		return r, err
	}
	st.goRun("pipeline", consumer.Run)
	st.goRun("scheduler", pipeline.NewScheduler(c.kafka, pstore, metrics, log).Run)
	prices, err := loadPrices(c.prices, c.dev)
	if err != nil {
		return r, err
	}
	intake, err := pipeline.NewIntake(c.kafka, ids, pstore, pipeline.WithIntakeLogger(log),
		pipeline.WithIntakeMetrics(metrics), pipeline.WithPrices(prices), pipeline.WithValidity(c.validity),
		pipeline.WithIntakePhones(phones))
	if err != nil {
		return r, err
	}
	st.onStop("intake", func(context.Context) error { return intake.Close() })
	cancels := pipeline.NewCanceler(pstore, c.retention)

	// --- SMPP gateway (api/gateway, wired in smpp_gateway.go): customers'
	// ESMEs submit through the intake; it stops before the intake does.
	if r.smpp, err = startGateway(ctx, c, st, pgURL, intake, store, ids, cancels, deadLetters, reg, log); err != nil {
		return r, err
	}
	// --- end SMPP gateway

	// Front door, stopped first.
	defaultTables, _ := gsm.ParseLanguages(c.shiftTables)
	deps := api.Deps{Keys: keys, Sender: intake, Reports: store, IDs: ids, Log: log,
		Cancels:     cancels,
		ShiftTables: fc.shiftTables(defaultTables), Prices: prices}
	h, err := api.NewHandler(deps)
	if err != nil {
		return r, err
	}
	ln, opts, cert, err := c.api.listen(c.listen, reg)
	if err != nil {
		return r, err
	}
	if c.grpcGo {
		g, err := api.NewGRPCServer(deps, opts...)
		if err != nil {
			ln.Close()
			return r, err
		}
		opts = append(opts, api.WithGRPC(g))
	}
	reloadOnHangup(st, log, cert, r.smpp.tlsCert())
	root := http.NewServeMux()
	if r.metricsAddr, err = serveMetrics(c, root, reg, st, log); err != nil {
		return r, err
	}
	root.Handle("/", h)
	srv := api.NewServer(root, opts...)
	go func() {
		if err := srv.Serve(ln); err != nil {
			log.Error("api", "err", err)
		}
	}()
	st.onStop("api", srv.Shutdown)
	r.apiAddr, r.devKey, r.brokers, r.clickhouseAddr, r.postgresURL = ln.Addr().String(), devKey, c.kafka.Brokers, chAddr, pgURL
	r.ledger, r.store = ledger, pstore
	return r, nil
}

// routing gathers the carriers and routes from --routes, --carrier and
// --route. With none, the in-process simulator serves every destination.
func (c *serveConfig) routing() (router.Config, error) {
	var cfg router.Config
	if c.routesFile != "" {
		var err error
		if cfg, err = router.LoadConfig(c.routesFile); err != nil {
			return cfg, err
		}
	}
	if len(c.carriers) == 0 && len(c.routes) == 0 {
		return cfg, nil
	}
	flags, err := router.FromSpecs(c.carriers, c.routes)
	if err != nil {
		return cfg, err
	}
	cfg.Carriers = append(cfg.Carriers, flags.Carriers...)
	cfg.Routes = append(cfg.Routes, flags.Routes...)
	return cfg, nil
}

//go:embed default_prices.csv
var defaultPrices string

// loadPrices reads the price table at path; without one, dev mode uses the
// example table and production prices nothing.
func loadPrices(path string, dev bool) (*price.Table, error) {
	switch {
	case path != "":
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--prices: %w", err)
		}
		defer f.Close()
		t, err := price.Load(f)
		if err != nil {
			return nil, fmt.Errorf("--prices %s: %w", path, err)
		}
		return t, nil
	case dev:
		return price.Load(strings.NewReader(defaultPrices))
	}
	return nil, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
