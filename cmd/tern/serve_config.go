package main

import (
	"cmp"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/carriers/router"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/gsm"
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
	simControl string // --dev: the simulator's control endpoint (tern sim-reply)

	smpp smppFlags    // the SMPP gateway (smpp_gateway.go)
	api  apiDoorFlags // the API's listener (front_door.go)

	features  featureFlags  // store events, flows, webhooks out (flows_config.go)
	campaigns campaignFlags // tracked links (start_campaigns.go)
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
	fs.StringVar(&c.kafka.Topics.Suppressions, "topic-suppressions", "tern.suppressions", "compacted topic of consent state changes (opt-outs, opt-ins), keyed by the number's hash; every instance tails it into memory")
	fs.StringVar(&c.kafka.Topics.Verify, "topic-verify", "tern.verify", "topic of verification records (started, checked, refused), for analytics")
	fs.StringVar(&c.kafka.Topics.Replies, "topic-replies", "tern.replies", "topic of customers' replies as tern read them (STOP, HELP, …) and acted on them, for analytics")
	fs.StringVar(&c.kafka.Topics.Clicks, "topic-clicks", "tern.clicks", "topic of tracked links' clicks, for analytics")
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
	fs.StringVar(&c.simControl, "sim-control-listen", defaultSimControl, "with --dev and the in-process simulator: loopback `address` of its control endpoint, where tern sim-reply has it deliver a customer's reply; \"off\": none")
	c.smpp.flags(fs)
	c.api.flags(fs)
	c.featureFlags(fs)
	c.campaigns.flags(fs)
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
	if _, err := c.linkBase(); err != nil {
		return err
	}
	return cmp.Or(c.api.validate(), c.smpp.validate(c.api), c.features.validate())
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
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
