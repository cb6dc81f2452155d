package main

import (
	"context"
	"fmt"
	neturl "net/url"
	"os"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/hygiene"
	consentlog "github.com/ternsms/tern/pipeline/consent"
)

// result is one report's latencies over the runs.
type result struct {
	name          string
	p50, p95, max time.Duration
	answer        string
}

// call is one report call; it returns a short summary of its answer.
type call struct {
	name string
	run  func(ctx context.Context) (string, error)
}

func calls(s *analytics.Store) []call {
	month := time.Now().Add(-31 * 24 * time.Hour)
	list := func(f analytics.MessageFilter) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			page, next, err := s.ListMessages(ctx, tenant, f, 50, "")
			return fmt.Sprintf("%d messages, more: %v", len(page), next != ""), err
		}
	}
	delivery := func(dims ...analytics.Dimension) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			r, err := s.DeliveryReport(ctx, tenant, month, time.Time{}, dims)
			return fmt.Sprintf("%d rows", len(r.Rows)), err
		}
	}
	campaign := func(id string) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			r, err := s.CampaignReport(ctx, tenant, id)
			return fmt.Sprintf("accepted %d, delivered %d, %d minutes", r.Funnel.Accepted, r.Funnel.Delivered, len(r.Timeline)), err
		}
	}
	return []call{
		{"GetCampaignStats, the big campaign (per message, unchanged)", func(ctx context.Context) (string, error) {
			st, err := s.CampaignStats(ctx, tenant, bigCampaign)
			return fmt.Sprintf("accepted %d", st.Accepted), err
		}},
		{"CampaignReport, the big campaign", campaign(bigCampaign)},
		{"CampaignReport, a small campaign (c15)", campaign("c15")},
		{"DeliveryReport, 31 days, totals", delivery()},
		{"DeliveryReport, 31 days by country, carrier and sender", delivery(analytics.DimCountry, analytics.DimCarrier, analytics.DimSender)},
		{"DeliveryReport, 31 days by campaign and category", delivery(analytics.DimCampaign, analytics.DimCategory)},
		{"ListMessages, newest 50", list(analytics.MessageFilter{})},
		{"ListMessages, one number's", list(analytics.MessageFilter{To: "+4915100000004", AcceptedAfter: month})},
		{"ListMessages, undelivered ones", list(analytics.MessageFilter{Statuses: []core.Status{core.StatusUndelivered}})},
		{"ListMessages, the big campaign's", list(analytics.MessageFilter{CampaignID: bigCampaign})},
		{"HygieneReport, counts and the first 50 unknown subscribers", func(ctx context.Context) (string, error) {
			r, _, err := s.HygieneReport(ctx, tenant, hygiene.ClassUnknownSubscriber, 50, "")
			return fmt.Sprintf("%d classes, %d numbers listed", len(r.Classes), len(r.Entries)), err
		}},
	}
}

func timeReports(ctx context.Context, s *analytics.Store, reps int, logf func(string, ...any)) ([]result, error) {
	var out []result
	for _, c := range calls(s) {
		answer, err := c.run(ctx) // warm-up
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		var ds []time.Duration
		for range reps {
			start := time.Now()
			if _, err := c.run(ctx); err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		r := result{name: c.name, p50: ds[len(ds)/2], p95: ds[(len(ds)*95-1)/100], max: ds[len(ds)-1], answer: answer}
		logf("%s: p50 %s p95 %s max %s (%s)", r.name, r.p50, r.p95, r.max, r.answer)
		out = append(out, r)
	}
	return out, nil
}

// jobResult is one run of the hygiene job.
type jobResult struct {
	took                            time.Duration
	numbers, classified, suppressed int64
	suppressor                      string
}

// timeHygiene runs the hygiene job once, suppressing through a consent
// ledger on TERN_POSTGRES_URL and an in-process broker.
func timeHygiene(ctx context.Context, s *analytics.Store, logf func(string, ...any)) (jobResult, error) {
	url := os.Getenv("TERN_POSTGRES_URL")
	if url == "" {
		return jobResult{}, fmt.Errorf("the hygiene job needs PostgreSQL for its suppressions: set TERN_POSTGRES_URL (bin/tern devenv does)")
	}
	broker, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0))
	if err != nil {
		return jobResult{}, err
	}
	defer broker.Close()
	topic := consentlog.TopicConfig{Brokers: broker.ListenAddrs(), Topic: "tern.suppressions"}
	if err := consentlog.EnsureTopic(ctx, topic, 4, 1); err != nil {
		return jobResult{}, err
	}
	url, drop, err := freshDatabase(ctx, url)
	if err != nil {
		return jobResult{}, err
	}
	defer drop()
	ledger, err := consentlog.Open(ctx, url, consentlog.NewHasher([]byte("bench")), topic)
	if err != nil {
		return jobResult{}, err
	}
	defer ledger.Close()
	start := time.Now()
	runs, err := analytics.NewHygieneJob(s, ledger, nil).RunOnce(ctx)
	if err != nil {
		return jobResult{}, err
	}
	r := jobResult{took: time.Since(start), suppressor: "consent ledger in PostgreSQL, suppressions topic on an in-process broker"}
	for _, run := range runs {
		r.numbers, r.classified, r.suppressed = r.numbers+run.Numbers, r.classified+run.Classified, r.suppressed+run.Suppressed
	}
	logf("hygiene job: %s, %+v", r.took, runs)
	return r, nil
}

func dropDatabase(ctx context.Context, addr, db string) error {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}})
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	return conn.Exec(ctx, "DROP DATABASE IF EXISTS `"+db+"`")
}

// freshDatabase creates an empty PostgreSQL database beside the one url
// names and returns its URL, and a function that drops it.
func freshDatabase(ctx context.Context, url string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("tern_bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	cfg := conn.Config().Copy()
	cfg.Database = name
	fresh := stdlibURL(cfg)
	return fresh, func() {
		conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		conn.Close(context.Background())
	}, nil
}

// stdlibURL writes a connection config back as a URL.
func stdlibURL(c *pgx.ConnConfig) string {
	u := neturl.URL{Scheme: "postgres", User: neturl.UserPassword(c.User, c.Password),
		Host: fmt.Sprintf("%s:%d", c.Host, c.Port), Path: "/" + c.Database, RawQuery: "sslmode=disable"}
	return u.String()
}
