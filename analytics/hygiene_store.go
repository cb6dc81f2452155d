package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/hygiene"
)

// numberStats is one number of a tenant as its messages describe it: the
// classification's input and what the report says about it.
type numberStats struct {
	history       hygiene.History
	country       string
	messages      int64
	notDelivered  int64
	spent         int64
	currency      string
	lastAttempt   time.Time
	lastDelivered time.Time
}

// historiesQuery folds a tenant's messages into one row per number: its
// messages' latest states first (the inner query; times in nanoseconds
// since the epoch), then per number the
// counts, the money and its newest finished attempts, newest first (of
// window, the ? in the arraySlices). Canceled messages never reached a
// carrier and count as no attempt.
const historiesQuery = `SELECT
	n_to, any(n_region), count(), countIf(n_rank = 3 AND n_status NOT IN (3, 9)),
	sum(n_price), any(n_currency), max(n_accepted), maxIf(n_time, n_status = 3),
	arraySlice(arrayReverseSort(groupArrayIf(n_time, n_rank = 3 AND n_status != 9)), 1, ?),
	arraySlice(arrayReverseSort((v, t) -> t, groupArrayIf(n_status, n_rank = 3 AND n_status != 9), groupArrayIf(n_time, n_rank = 3 AND n_status != 9)), 1, ?),
	arraySlice(arrayReverseSort((v, t) -> t, groupArrayIf(n_carrier, n_rank = 3 AND n_status != 9), groupArrayIf(n_time, n_rank = 3 AND n_status != 9)), 1, ?),
	arraySlice(arrayReverseSort((v, t) -> t, groupArrayIf(n_code, n_rank = 3 AND n_status != 9), groupArrayIf(n_time, n_rank = 3 AND n_status != 9)), 1, ?)
FROM (
	SELECT
		max(recipient) AS n_to, max(region) AS n_region,
		argMax(status, k) AS n_status, argMax(status_rank, k) AS n_rank, argMax(t, k) AS n_time,
		argMaxIf(carrier, k, carrier != '') AS n_carrier, argMax(error_code, k) AS n_code,
		max(price_micros) AS n_price, max(currency) AS n_currency, minIf(t, status = 1) AS n_accepted
	FROM (SELECT *, toUInt64(event_time) * 1000000000 + event_ns AS t, ` + latestKey + ` AS k FROM {db}.events WHERE tenant_id = ?)
	GROUP BY message_id
)
WHERE n_to != ''
GROUP BY n_to`

// numberHistories calls each with every number tenant messaged; window is
// the most finished attempts kept per number.
func (s *Store) numberHistories(ctx context.Context, tenant string, window int, each func(numberStats) error) error {
	rows, err := s.conn.Query(ctx, s.sql(historiesQuery), window, window, window, window, tenant)
	if err != nil {
		return fmt.Errorf("number histories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			n                 numberStats
			msgs, notDeliv    uint64
			times             []uint64
			statuses          []uint8
			carriers, codes   []string
			lastDeliv, lastAt uint64
		)
		if err := rows.Scan(&n.history.Number, &n.country, &msgs, &notDeliv, &n.spent, &n.currency, &lastAt, &lastDeliv,
			&times, &statuses, &carriers, &codes); err != nil {
			return fmt.Errorf("number histories: %w", err)
		}
		n.messages, n.notDelivered, n.lastAttempt = int64(msgs), int64(notDeliv), unixNano(lastAt)
		n.lastDelivered = unixNano(lastDeliv)
		n.history.LastDelivered = n.lastDelivered
		for i := range min(len(times), len(statuses), len(carriers), len(codes)) {
			n.history.Recent = append(n.history.Recent, hygiene.Attempt{At: unixNano(times[i]), Status: core.Status(statuses[i]), Carrier: carriers[i], ErrorCode: codes[i]})
		}
		if err := each(n); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("number histories: %w", err)
	}
	return nil
}

// notEpoch is t, or the zero time for ClickHouse's zero DateTime.
func notEpoch(t time.Time) time.Time {
	if t.Unix() <= 0 {
		return time.Time{}
	}
	return t.UTC()
}

// tenants lists the tenants with any message.
func (s *Store) tenants(ctx context.Context) ([]string, error) {
	rows, err := s.conn.Query(ctx, s.sql(`SELECT DISTINCT tenant_id FROM {db}.message_index ORDER BY tenant_id`))
	if err != nil {
		return nil, fmt.Errorf("tenants: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("tenants: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// classified is one row of hygiene_numbers.
type classified struct {
	numberStats
	verdict    hygiene.Verdict
	action     hygiene.Action
	suppressed bool
}

// insertClassified writes one run's classified numbers.
func (s *Store) insertClassified(ctx context.Context, tenant string, run uint64, cs []classified) error {
	if len(cs) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, s.sql(`INSERT INTO {db}.hygiene_numbers (tenant_id, run_id, class, recipient, detail,
		country, messages, not_delivered, spent_micros, currency, last_attempt, last_delivered, suppressed)`))
	if err != nil {
		return fmt.Errorf("insert %d classified numbers: %w", len(cs), err)
	}
	defer b.Abort() //nolint:errcheck // a no-op once sent
	for _, c := range cs {
		var sup uint8
		if c.suppressed {
			sup = 1
		}
		if err := b.Append(tenant, run, uint8(c.verdict.Class), c.history.Number, c.verdict.Detail, c.country,
			uint32(c.messages), uint32(c.notDelivered), c.spent, c.currency, dateTime(c.lastAttempt), dateTime(c.lastDelivered), sup); err != nil {
			return fmt.Errorf("insert %d classified numbers: %w", len(cs), err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %d classified numbers: %w", len(cs), err)
	}
	return nil
}

// dateTime is t for a DateTime column: the epoch for the zero time.
func dateTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}

// finishRun records a run of tenant as finished, which makes it the one
// reports read, and deletes the runs before the previous one.
func (s *Store) finishRun(ctx context.Context, tenant string, run uint64, numbers, classifiedN int64, at time.Time) error {
	b, err := s.conn.PrepareBatch(ctx, s.sql(`INSERT INTO {db}.hygiene_runs (tenant_id, run_id, numbers, classified, finished_at)`))
	if err != nil {
		return fmt.Errorf("finish hygiene run: %w", err)
	}
	defer b.Abort() //nolint:errcheck // a no-op once sent
	if err := b.Append(tenant, run, uint64(numbers), uint64(classifiedN), at.UTC()); err != nil {
		return fmt.Errorf("finish hygiene run: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("finish hygiene run: %w", err)
	}
	var prev uint64
	if err := s.conn.QueryRow(ctx, s.sql(`SELECT max(run_id) FROM {db}.hygiene_runs WHERE tenant_id = ? AND run_id < ?`), tenant, run).Scan(&prev); err != nil {
		return fmt.Errorf("previous hygiene run: %w", err)
	}
	if prev == 0 {
		return nil
	}
	for _, table := range []string{"hygiene_numbers", "hygiene_runs"} {
		if err := s.conn.Exec(ctx, s.sql(`ALTER TABLE {db}.`+table+` DELETE WHERE tenant_id = ? AND run_id < ?`), tenant, prev); err != nil {
			return fmt.Errorf("delete old hygiene runs: %w", err)
		}
	}
	return nil
}
