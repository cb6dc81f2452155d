package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
)

// lookupChunk bounds the message ids one lookup query names, keeping the
// query well under ClickHouse's default 256 KiB max_query_size.
const lookupChunk = 2000

// factColumns are the facts table's columns the writer reads and writes,
// in insertFacts' order.
const factColumns = `tenant_id, message_id, stage, sign, time, t_ns, status, campaign_id, flow_id, category,
	country, carrier, sender, encoding, segments, price_micros, currency, cost_micros, cost_currency,
	error_code, latency_ms, sample`

// knownFacts returns what the facts table holds for the messages of rows.
func (s *Store) knownFacts(ctx context.Context, rows []Row) (map[msgKey]*known, error) {
	byTenant := map[string][]string{}
	seen := map[msgKey]bool{}
	for _, r := range rows {
		k := msgKey{r.TenantID, r.MessageID}
		if !seen[k] {
			seen[k] = true
			byTenant[r.TenantID] = append(byTenant[r.TenantID], r.MessageID)
		}
	}
	out := make(map[msgKey]*known, len(seen))
	for tenant, ids := range byTenant {
		for len(ids) > 0 {
			n := min(len(ids), lookupChunk)
			if err := s.readFacts(ctx, tenant, ids[:n], out); err != nil {
				return nil, err
			}
			ids = ids[n:]
		}
	}
	return out, nil
}

// readFacts folds the facts of tenant's messages ids into out: per stage
// the facts whose signs do not cancel, and of the final ones the latest.
func (s *Store) readFacts(ctx context.Context, tenant string, ids []string, out map[msgKey]*known) error {
	set := make([]any, len(ids))
	for i, id := range ids {
		set[i] = id
	}
	rows, err := s.conn.Query(ctx, s.sql(`SELECT `+factColumns+` FROM {db}.facts WHERE tenant_id = ? AND message_id IN ?`),
		tenant, clickhouse.GroupSet{Value: set})
	if err != nil {
		return fmt.Errorf("look up facts: %w", err)
	}
	defer rows.Close()
	live := map[factID]int{}
	var all []fact
	for rows.Next() {
		f, err := scanFact(rows)
		if err != nil {
			return fmt.Errorf("look up facts: %w", err)
		}
		live[f.id()] += int(f.Sign)
		if f.Sign > 0 {
			all = append(all, f)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("look up facts: %w", err)
	}
	for i := range all {
		f := &all[i]
		if live[f.id()] <= 0 {
			continue
		}
		live[f.id()] = 0 // one of its copies is enough
		m := out[msgKey{f.TenantID, f.MessageID}]
		if m == nil {
			m = &known{}
			out[msgKey{f.TenantID, f.MessageID}] = m
		}
		m.keep(f)
	}
	return nil
}

// factID is what a cancelling copy of a fact shares with it.
type factID struct {
	message string
	stage   stage
	ns      int64
	status  core.Status
}

func (f *fact) id() factID { return factID{f.MessageID, f.Stage, f.Time.UnixNano(), f.Status} }

// keep notes f as live in m: the first of stages 1 and 2, the latest final.
func (m *known) keep(f *fact) {
	switch f.Stage {
	case stageAccepted:
		if m.accepted == nil {
			m.accepted = f
		}
	case stageSubmitted:
		if m.submitted == nil || f.Time.Before(m.submitted.Time) {
			m.submitted = f
		}
	case stageFinal:
		if m.final == nil || f.later(m.final) {
			m.final = f
		}
	}
}

type scanner interface{ Scan(dest ...any) error }

func scanFact(r scanner) (fact, error) {
	var (
		f                          fact
		sign                       int8
		stg, status, cat, enc, smp uint8
		t                          time.Time
		ns                         uint64
		seg                        uint16
	)
	err := r.Scan(&f.TenantID, &f.MessageID, &stg, &sign, &t, &ns, &status, &f.CampaignID, &f.FlowID, &cat,
		&f.Country, &f.Carrier, &f.Sender, &enc, &seg, &f.PriceMicros, &f.Currency, &f.CostMicros, &f.CostCurrency,
		&f.ErrorCode, &f.LatencyMs, &smp)
	f.Stage, f.Sign, f.Time, f.Status = stage(stg), sign, time.Unix(0, int64(ns)).UTC(), core.Status(status)
	f.Category, f.Encoding, f.Segments, f.Sample = core.Category(cat), gsm.Encoding(enc), int(seg), smp == 1
	return f, err
}

// insertFacts writes facts in one batch, column by column.
func (s *Store) insertFacts(ctx context.Context, facts []fact) error {
	if len(facts) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, s.sql("INSERT INTO {db}.facts ("+factColumns+")"))
	if err != nil {
		return fmt.Errorf("insert %d facts: %w", len(facts), err)
	}
	defer b.Abort() //nolint:errcheck // a no-op once sent
	for i, col := range factColumnsOf(facts) {
		if err := b.Column(i).Append(col); err != nil {
			return fmt.Errorf("insert %d facts: column %d: %w", len(facts), i, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d facts: %w", len(facts), err)
	}
	return nil
}

// factColumnsOf lays facts out as factColumns.
func factColumnsOf(facts []fact) []any {
	n := len(facts)
	var (
		tenants, ids, campaigns, flows = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		countries, carriers, senders   = make([]string, n), make([]string, n), make([]string, n)
		currencies, costCurs, codes    = make([]string, n), make([]string, n), make([]string, n)
		stages, statuses, cats, encs   = make([]uint8, n), make([]uint8, n), make([]uint8, n), make([]uint8, n)
		samples                        = make([]uint8, n)
		signs                          = make([]int8, n)
		times                          = make([]time.Time, n)
		nanos                          = make([]uint64, n)
		segments                       = make([]uint16, n)
		prices, costs                  = make([]int64, n), make([]int64, n)
		latencies                      = make([]uint32, n)
	)
	for i, f := range facts {
		tenants[i], ids[i], campaigns[i], flows[i] = f.TenantID, f.MessageID, f.CampaignID, f.FlowID
		countries[i], carriers[i], senders[i] = f.Country, f.Carrier, f.Sender
		currencies[i], costCurs[i], codes[i] = f.Currency, f.CostCurrency, f.ErrorCode
		stages[i], statuses[i], cats[i], encs[i] = uint8(f.Stage), uint8(f.Status), uint8(f.Category), uint8(f.Encoding)
		signs[i], times[i], nanos[i], segments[i] = f.Sign, f.Time.UTC(), uint64(f.Time.UnixNano()), uint16(f.Segments)
		prices[i], costs[i], latencies[i] = f.PriceMicros, f.CostMicros, f.LatencyMs
		if f.Sample {
			samples[i] = 1
		}
	}
	return []any{
		tenants, ids, stages, signs, times, nanos, statuses, campaigns, flows, cats,
		countries, carriers, senders, encs, segments, prices, currencies, costs, costCurs,
		codes, latencies, samples,
	}
}

// Record writes rows as the writer does, without Kafka: the events with
// what the message's earlier facts add to them, then the facts they make.
// Tests and tools (the bench loader) use it; like the writer's, a row
// recorded twice adds nothing twice to the facts. rows are enriched in
// place.
func (s *Store) Record(ctx context.Context, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	for i, r := range rows {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("record row %d: %w", i, err)
		}
	}
	k, err := s.knownFacts(ctx, rows)
	if err != nil {
		return err
	}
	facts := deriveFacts(rows, k)
	enrich(rows, k)
	if err := s.Insert(ctx, rows); err != nil {
		return err
	}
	return s.insertFacts(ctx, facts)
}
