package campaigns

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/campaign"
	"github.com/ternsms/tern/pipeline"
)

// withdrawers is how many cancels one withdrawal makes at once.
const withdrawers = 8

// Withdraw withdraws, through the Canceler, every message the tenant's
// canceled campaign id queued that no carrier has had yet, from its
// withdraw cursor on, and counts those withdrawn and those a carrier had.
// It takes the campaign's lock, so it starts once expansion has stopped
// and no message is queued after it passed. An error leaves the cursor at
// the last page done, for the next try.
func (s *Store) Withdraw(ctx context.Context, tenant, id string) error {
	if s.d.Canceler == nil {
		return errors.New("campaigns: no canceler to withdraw with")
	}
	conn, ok, err := s.lock(ctx, tenant, id)
	if err != nil || !ok {
		return err
	}
	defer s.unlock(conn, tenant, id)
	var state int16
	var cursor int64
	var done bool
	if err := conn.QueryRow(ctx, `SELECT state, withdraw_cursor, withdraw_done FROM campaigns WHERE tenant_id = $1 AND id = $2`, tenant, id).
		Scan(&state, &cursor, &done); err != nil {
		return fmt.Errorf("campaign %s: %w", id, err)
	}
	if campaign.State(state) != campaign.Canceled || done {
		return nil
	}
	for {
		page, err := queuedAfter(ctx, conn, tenant, id, cursor)
		if err != nil {
			return err
		}
		withdrawn, kept, err := s.cancelAll(ctx, tenant, page)
		if err != nil {
			return err
		}
		if len(page) > 0 {
			cursor = page[len(page)-1].contact
		}
		if _, err := conn.Exec(ctx, `UPDATE campaigns SET withdraw_cursor = $3, withdrawn = withdrawn + $4, not_withdrawn = not_withdrawn + $5,
			withdraw_done = $6, updated_at = now() WHERE tenant_id = $1 AND id = $2`, tenant, id, cursor, withdrawn, kept, len(page) == 0); err != nil {
			return fmt.Errorf("campaign %s withdraw: %w", id, err)
		}
		if len(page) == 0 {
			return nil
		}
	}
}

type queued struct {
	contact int64
	id      string
	at      time.Time
}

func queuedAfter(ctx context.Context, conn interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, tenant, id string, after int64) ([]queued, error) {
	rows, err := conn.Query(ctx, `SELECT contact_id, message_id, queued_at FROM campaign_messages
		WHERE tenant_id = $1 AND campaign_id = $2 AND contact_id > $3 ORDER BY contact_id LIMIT 500`, tenant, id, after)
	if err != nil {
		return nil, fmt.Errorf("campaign %s messages: %w", id, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (queued, error) {
		var q queued
		return q, r.Scan(&q.contact, &q.id, &q.at)
	})
}

// cancelAll cancels page's messages, a few at a time. A message a carrier
// had (or whose id is unknown) is kept; any other failure is returned.
func (s *Store) cancelAll(ctx context.Context, tenant string, page []queued) (withdrawn, kept int64, err error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, withdrawers)
	for _, q := range page {
		if q.id == "" {
			kept++
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			e := s.d.Canceler.Cancel(ctx, tenant, q.id, q.at)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case e == nil:
				withdrawn++
			case errors.Is(e, pipeline.ErrNotCancelable), errors.Is(e, pipeline.ErrForeignMessage):
				kept++
			case err == nil:
				err = e
			}
		}()
	}
	wg.Wait()
	return withdrawn, kept, err
}
