package campaigns

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ternsms/tern/core/campaign"
)

// Hold is what the partition actor does with a queued campaign message.
type Hold uint8

const (
	// Go: the campaign runs (or is not known here): send as usual.
	Go Hold = iota
	// Wait: the campaign is paused; hold the message until it resumes.
	Wait
	// Withdraw: the campaign was canceled; end the message canceled.
	Withdraw
)

// States serves, from memory, the campaigns whose queued messages must
// not go now: the paused and the canceled. The partition actor asks it
// for every campaign message (Check, by the message's origin), the way
// it asks the suppression set, so a pause holds messages already queued
// within a second. It reloads when any campaign's state changes (a
// version counter polled every PollEvery). Safe for concurrent use.
type States struct {
	s    *Store
	log  *slog.Logger
	cur  atomic.Pointer[statesSnapshot]
	last int64
}

type statesSnapshot struct {
	held map[string]Hold // tenant + "/" + campaign id
}

// StatesPollEvery is how often States checks for a change.
const StatesPollEvery = 250 * time.Millisecond

// keepCanceled is how long a canceled campaign stays in States: longer
// than any message may wait (validity is at most days).
const keepCanceled = 30 * 24 * time.Hour

// NewStates loads the held campaigns once.
func (s *Store) NewStates(ctx context.Context) (*States, error) {
	st := &States{s: s, log: s.d.Log, last: -1}
	st.cur.Store(&statesSnapshot{held: map[string]Hold{}})
	return st, st.reload(ctx)
}

// Check tells what to do with a message of tenant whose origin is
// origin: Go for anything that is not a held campaign's.
func (st *States) Check(tenant, origin string) Hold {
	id, ok := OriginID(origin)
	if !ok {
		return Go
	}
	return st.cur.Load().held[tenant+"/"+id]
}

// Run reloads on every change until ctx ends; a failed poll is logged
// and the last snapshot keeps serving.
func (st *States) Run(ctx context.Context) error {
	t := time.NewTicker(StatesPollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := st.reload(ctx); err != nil && ctx.Err() == nil {
			st.log.Warn("campaign states", "err", err)
		}
	}
}

func (st *States) reload(ctx context.Context) error {
	var v int64
	if err := st.s.pool.QueryRow(ctx, `SELECT version FROM campaign_states_version`).Scan(&v); err != nil {
		return fmt.Errorf("campaign states: %w", err)
	}
	if v == st.last {
		return nil
	}
	held := map[string]Hold{}
	rows, err := st.s.pool.Query(ctx, `SELECT tenant_id, id, state FROM campaigns WHERE state = $1 OR (state = $2 AND updated_at > now() - $3::interval)`,
		int16(campaign.Paused), int16(campaign.Canceled), keepCanceled.String())
	if err != nil {
		return fmt.Errorf("campaign states: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tenant, id string
		var state int16
		if err := rows.Scan(&tenant, &id, &state); err != nil {
			return fmt.Errorf("campaign states: %w", err)
		}
		h := Wait
		if campaign.State(state) == campaign.Canceled {
			h = Withdraw
		}
		held[tenant+"/"+id] = h
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("campaign states: %w", err)
	}
	st.cur.Store(&statesSnapshot{held: held})
	st.last = v
	return nil
}
