package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// Why a message waits.
const (
	deferSendAt     = "send_at"
	deferQuietHours = "quiet_hours"
	deferRetry      = "retry"
	deferRateLimit  = "rate_limit"
	// deferFrequencyCap: over its recipient's marketing cap, for a
	// tenant whose cap holds messages rather than failing them.
	deferFrequencyCap = "frequency_cap"
)

// deferral is one message put aside until due.
type deferral struct {
	rec    *recordv1.Submit // with NotBefore set to due
	due    time.Time
	reason string
}

// execDefer writes deferrals in one round trip. A message Cancel withdrew
// is not written: its answer is true.
//
// The batch first takes its messages' cancel locks (shared, see
// cancelLockSQL), so that it and a Cancel of one of its messages do not
// overlap: otherwise each, reading before the other committed, missed the
// other's write, and the canceled message kept its due time, its canceled
// event coming only then.
func (s *Store) execDefer(ctx context.Context, ds []deferral) ([]bool, error) {
	ids, tos, dues, reasons := make([]string, len(ds)), make([]string, len(ds)), make([]time.Time, len(ds)), make([]string, len(ds))
	recs := make([][]byte, len(ds))
	for i, d := range ds {
		b, err := proto.Marshal(d.rec)
		if err != nil {
			return nil, fmt.Errorf("encode deferred record: %w", err)
		}
		ids[i], tos[i], dues[i], reasons[i], recs[i] = d.rec.Id, d.rec.To, d.due, d.reason, b
	}
	// One implicit transaction: the locks hold until deferSQL committed,
	// and deferSQL reads the ledger after it has them.
	var b pgx.Batch
	b.Queue(deferLockSQL, ids, cancelLockClass, cancelLockStripes-1)
	b.Queue(deferSQL, ids, tos, dues, reasons, recs)
	br := s.pool.SendBatch(ctx, &b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, fmt.Errorf("defer messages: lock: %w", err)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("defer messages: %w", err)
	}
	canceled, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("defer messages: %w", err)
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("defer messages: %w", err)
	}
	out := make([]bool, len(ds))
	for i, id := range ids {
		out[i] = slices.Contains(canceled, id)
	}
	return out, nil
}

// Cancel and deferrals take the advisory locks of class cancelLockClass,
// one of cancelLockStripes by a hash of the message id: Cancel its
// message's exclusively, a deferral batch its messages' shared, in
// ascending order so that batches waiting behind a Cancel cannot deadlock.
// Striping bounds a batch's locks; two messages sharing a stripe only wait
// for each other a moment.
const (
	cancelLockClass   = 0x74657263 // "terc"
	cancelLockStripes = 256
)

// deferLockSQL takes the cancel locks of the message ids $1 (shared).
const deferLockSQL = `
SELECT pg_advisory_xact_lock_shared($2::int, s)
FROM (SELECT DISTINCT hashtext(m) & $3::int AS s FROM unnest($1::text[]) AS m ORDER BY s) AS x`

// deferSQL schedules messages, except those the ledger holds as
// canceled, and returns the ids of those.
const deferSQL = `
WITH x AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::bytea[]) AS x(m, r, due, reason, rec)
), c AS (
	SELECT d.message_id FROM deliveries d JOIN x ON d.message_id = x.m WHERE d.state = 4
), i AS (
	INSERT INTO schedules (message_id, recipient, due_at, reason, record)
	SELECT m, r, due, reason, rec FROM x WHERE m NOT IN (SELECT message_id FROM c)
)
SELECT message_id FROM c`

// Scheduler puts due messages back on the submit topic: every poll it
// takes the due rows (rows other instances hold are skipped), produces
// their records and deletes them in one transaction that commits only
// after Kafka acknowledged. A crash in between produces a record twice;
// the copy carries the same message id, which the ledger sends once.
type Scheduler struct {
	s       *Store
	cfg     KafkaConfig
	w       *producer
	log     *slog.Logger
	metrics *Metrics
	poll    time.Duration
}

// schedulerBatch is the most messages released per transaction.
const schedulerBatch = 1000

// NewScheduler returns a scheduler producing to c's submit topics, each
// message to its category's lane.
func NewScheduler(c KafkaConfig, s *Store, m *Metrics, log *slog.Logger) *Scheduler {
	c = c.WithDefaults()
	if log == nil {
		log = slog.Default()
	}
	return &Scheduler{
		cfg: c, s: s, log: log, metrics: m, poll: 200 * time.Millisecond,
	}
}

// Run releases due messages until ctx ends. Messages are released within
// the poll interval (200ms) of their time.
func (sc *Scheduler) Run(ctx context.Context) error {
	w, err := newProducer(sc.cfg, sc.cfg.Topics.Submit, sc.cfg.BatchTimeout)
	if err != nil {
		return err
	}
	sc.w = w
	defer sc.w.close()
	t := time.NewTicker(sc.poll)
	defer t.Stop()
	for {
		n, err := sc.release(ctx)
		if err != nil && ctx.Err() == nil {
			sc.log.Warn("release scheduled messages", "err", err)
		}
		if n == schedulerBatch {
			continue // more are due
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (sc *Scheduler) release(ctx context.Context) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, sc.s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
SELECT id, recipient, record FROM schedules
WHERE due_at <= now()
ORDER BY due_at
LIMIT $1
FOR UPDATE SKIP LOCKED`, schedulerBatch)
		if err != nil {
			return err
		}
		var ids []int64
		var msgs []*kgo.Record
		for rows.Next() {
			var id int64
			var to string
			var rec []byte
			if err := rows.Scan(&id, &to, &rec); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
			msgs = append(msgs, &kgo.Record{Topic: sc.laneOf(rec), Key: []byte(to), Value: rec})
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		if err := sc.w.produce(ctx, msgs, nil); err != nil {
			return fmt.Errorf("produce %d due messages: %w", len(msgs), err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM schedules WHERE id = ANY($1)", ids); err != nil {
			return err
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// laneOf returns the submit topic of the record in rec, by its category.
// One that does not decode goes to the submit topic, whose actor
// dead-letters it.
func (sc *Scheduler) laneOf(rec []byte) string {
	var r recordv1.Submit
	if proto.Unmarshal(rec, &r) != nil {
		return sc.cfg.Topics.Submit
	}
	return sc.cfg.Topics.submitTopic(core.Category(r.Category))
}

// Scheduled counts messages waiting, by reason.
func (s *Store) Scheduled(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, "SELECT reason, count(*) FROM schedules GROUP BY reason")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var r string
		var n int
		if err := rows.Scan(&r, &n); err != nil {
			return nil, err
		}
		out[r] = n
	}
	return out, rows.Err()
}

// withNotBefore returns a copy of rec due at t, after attempts attempts.
func withNotBefore(rec *recordv1.Submit, t time.Time, attempts int32) *recordv1.Submit {
	c := proto.Clone(rec).(*recordv1.Submit)
	c.NotBefore = timestamppb.New(t)
	c.Attempts = attempts
	return c
}
