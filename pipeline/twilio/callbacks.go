package twilio

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	tw "github.com/ternsms/tern/core/twilio"
)

// Callback is one status callback: a form post of Params to URL, signed
// with the account's auth token.
type Callback struct {
	// Key dedupes: one callback per message and status.
	Key        string
	Tenant     string
	AccountSID string
	URL        string
	Params     url.Values
}

// CallbackQueue takes status callbacks for durable delivery, in the
// transaction that wrote the status changes causing them. The Outbox is
// one; a shared webhook outbox may be another.
type CallbackQueue interface {
	Enqueue(ctx context.Context, tx pgx.Tx, cbs []Callback) error
}

// Outbox queues callbacks in PostgreSQL for a Dispatcher to post.
type Outbox struct{}

// Enqueue adds cbs in tx; a Key queued before is left as it is.
func (Outbox) Enqueue(ctx context.Context, tx pgx.Tx, cbs []Callback) error {
	for _, cb := range cbs {
		_, err := tx.Exec(ctx, `INSERT INTO twilio_callbacks (dedupe, tenant_id, account_sid, url, params, next_at)
			VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (dedupe) DO NOTHING`, cb.Key, cb.Tenant, cb.AccountSID, cb.URL, cb.Params.Encode())
		if err != nil {
			return fmt.Errorf("queue status callback: %w", err)
		}
	}
	return nil
}

// Dispatcher posts queued callbacks, retrying failures with backoff.
// Every instance may run one on the same Store: a callback is leased to
// one instance while it is being posted.
type Dispatcher struct {
	store    *Store
	tokens   Tokens
	client   *http.Client
	backoff  func(attempt int) time.Duration
	attempts int
	poll     time.Duration
	workers  int
	metrics  *Metrics
	log      *slog.Logger
}

// Dispatch defaults: a post waits CallbackTimeout; the n-th failure
// waits 5 s × 2^(n-1), at most an hour, before the next attempt; after
// CallbackAttempts attempts (about two and a half hours) the callback
// is given up.
const (
	CallbackTimeout  = 15 * time.Second
	CallbackAttempts = 12
	callbackLease    = 2 * time.Minute
	callbackBatch    = 50
)

// DefaultBackoff is the wait after the n-th failed attempt.
func DefaultBackoff(n int) time.Duration {
	return min(5*time.Second<<min(n-1, 20), time.Hour)
}

// DispatcherOption configures a Dispatcher.
type DispatcherOption func(*Dispatcher)

// WithBackoff sets the wait after the n-th failed attempt.
func WithBackoff(f func(n int) time.Duration) DispatcherOption {
	return func(d *Dispatcher) { d.backoff = f }
}

// WithHTTPClient posts through c.
func WithHTTPClient(c *http.Client) DispatcherOption { return func(d *Dispatcher) { d.client = c } }

// WithDispatchMetrics counts posts in m.
func WithDispatchMetrics(m *Metrics) DispatcherOption { return func(d *Dispatcher) { d.metrics = m } }

// WithDispatchLogger sets the logger.
func WithDispatchLogger(l *slog.Logger) DispatcherOption { return func(d *Dispatcher) { d.log = l } }

// NewDispatcher returns a Dispatcher of s's callbacks, signing with
// tokens.
func NewDispatcher(s *Store, tokens Tokens, opts ...DispatcherOption) *Dispatcher {
	d := &Dispatcher{store: s, tokens: tokens, client: &http.Client{Timeout: CallbackTimeout}, backoff: DefaultBackoff,
		attempts: CallbackAttempts, poll: 250 * time.Millisecond, workers: 8, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(d)
	}
	return d
}

type queued struct {
	id       int64
	account  string
	url      string
	params   string
	attempts int
}

// Run posts due callbacks until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		n, err := d.round(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("status callbacks", "err", err)
		}
		if n == callbackBatch {
			t.Reset(0)
		} else {
			t.Reset(d.poll)
		}
	}
}

// round leases up to a batch of due callbacks, posts them with a few
// workers and records each outcome. It returns how many it leased.
func (d *Dispatcher) round(ctx context.Context) (int, error) {
	rows, err := d.store.pool.Query(ctx, `UPDATE twilio_callbacks SET next_at = now() + $1::interval
		WHERE id IN (SELECT id FROM twilio_callbacks WHERE done_at IS NULL AND next_at <= now() ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING id, account_sid, url, params, attempts`, callbackLease.String(), callbackBatch)
	if err != nil {
		return 0, err
	}
	due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (queued, error) {
		var q queued
		return q, r.Scan(&q.id, &q.account, &q.url, &q.params, &q.attempts)
	})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	work := make(chan queued)
	var wg sync.WaitGroup
	for range min(d.workers, len(due)) {
		wg.Go(func() {
			for q := range work {
				d.finish(ctx, q, d.post(ctx, q))
			}
		})
	}
	for _, q := range due {
		work <- q
	}
	close(work)
	wg.Wait()
	return len(due), nil
}

// post sends one callback; nil when the receiver answered 2xx.
func (d *Dispatcher) post(ctx context.Context, q queued) error {
	params, err := url.ParseQuery(q.params)
	if err != nil {
		return fmt.Errorf("stored params: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.url, strings.NewReader(q.params))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "tern (Twilio-compatible status callback)")
	req.Header.Set("X-Twilio-Signature", tw.Signature(d.tokens.Token(q.account), q.url, params))
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

// finish records a post's outcome: done, or the next attempt's time, or
// given up after the last attempt.
func (d *Dispatcher) finish(ctx context.Context, q queued, err error) {
	n := q.attempts + 1
	var sql string
	var args []any
	switch {
	case err == nil:
		sql, args = `UPDATE twilio_callbacks SET attempts = $2, done_at = now(), outcome = 'delivered' WHERE id = $1`, []any{q.id, n}
		d.metrics.callback("delivered")
	case n >= d.attempts:
		sql, args = `UPDATE twilio_callbacks SET attempts = $2, done_at = now(), outcome = 'gave_up', last_error = $3 WHERE id = $1`, []any{q.id, n, err.Error()}
		d.metrics.callback("gave_up")
		d.log.Warn("status callback given up", "account", q.account, "attempts", n, "err", err)
	default:
		sql = `UPDATE twilio_callbacks SET attempts = $2, next_at = now() + $3::interval, last_error = $4 WHERE id = $1`
		args = []any{q.id, n, d.backoff(n).String(), err.Error()}
		d.metrics.callback("retry")
	}
	if _, err := d.store.pool.Exec(context.WithoutCancel(ctx), sql, args...); err != nil {
		d.log.Warn("status callback outcome not recorded; posted again after its lease", "err", err)
	}
}
