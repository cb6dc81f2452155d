package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// reasonCanceled is a canceled message's reason.
const reasonCanceled = "canceled before it was handed to a carrier"

// Canceler withdraws messages that no carrier has had yet.
//
// It writes the message's ledger row as canceled, in the same way Begin
// writes an intent, so of a Cancel and a Begin for one message exactly one
// wins: after a Cancel that succeeded, Begin finds the row canceled and the
// message is never submitted; after a Begin, Cancel finds it with a
// carrier and fails. A message waiting in the schedules (send_at, quiet
// hours, a retry) is made due at once, so that its partition's actor
// records its canceled event within a second rather than at its time.
// Cancel first takes its message's cancel lock (cancelLockSQL), which the
// batch deferring the message takes too: one of the two waits for the
// other to commit, so either the deferral finds the message canceled or
// Cancel finds its schedule.
type Canceler struct {
	s *Store
	// keep is the ledger's retention: the row of a message created longer
	// ago may have been pruned, so its absence says nothing.
	keep time.Duration
	now  func() time.Time
}

// NewCanceler returns a Canceler on s for a ledger pruned after keep.
func NewCanceler(s *Store, keep time.Duration) *Canceler {
	return &Canceler{s: s, keep: keep, now: time.Now}
}

// Cancel withdraws tenantID's message id, created at created (the id's
// time). It returns an error wrapping ErrNotCancelable when a carrier has
// or had the message, or it is final, or it is too old to tell; canceling
// a canceled message again succeeds.
func (c *Canceler) Cancel(ctx context.Context, tenantID, id string, created time.Time) error {
	recent := created.After(c.now().Add(-c.keep))
	var state ledgerState
	var owner string
	found := false
	err := pgx.BeginFunc(ctx, c.s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, cancelLockSQL, id, cancelLockClass, cancelLockStripes-1); err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, cancelSQL, id, tenantID, reasonCanceled, recent).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			state, owner, found = stateCanceled, tenantID, true
			_, err := tx.Exec(ctx, cancelDueNowSQL, id)
			return err
		}
		err := tx.QueryRow(ctx, "SELECT state, tenant_id FROM deliveries WHERE message_id = $1", id).Scan(&state, &owner)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	if err != nil {
		return fmt.Errorf("cancel %s: %w", id, err)
	}
	switch {
	case !found:
		return fmt.Errorf("%w: created before the ledger's retention (%v), its outcome is no longer kept", ErrNotCancelable, c.keep)
	case owner != tenantID:
		return fmt.Errorf("cancel %s: %w", id, ErrForeignMessage)
	case state == stateCanceled:
		return nil
	case state == stateSubmitting:
		return fmt.Errorf("%w: being handed to a carrier", ErrNotCancelable)
	case state == stateAccepted:
		return fmt.Errorf("%w: a carrier accepted it", ErrNotCancelable)
	}
	return fmt.Errorf("%w: it failed for good", ErrNotCancelable)
}

// cancelSQL writes a canceled row for a message no carrier has had: a new
// row, or one a carrier refused for now (waiting for its retry), or one
// canceled before. A new row is written only when the message is recent
// ($4) or waits in the schedules: otherwise its row may have been pruned.
// It returns the number of rows written, 0 or 1.
const cancelSQL = `
WITH w AS (
	INSERT INTO deliveries AS d (message_id, tenant_id, campaign_id, recipient, region, category, encoding, carrier, origin, state, reason, done)
	SELECT $1, $2, '', '', '', 0, 0, '', '', 4, $3, true
	WHERE $4::boolean OR EXISTS (SELECT 1 FROM schedules WHERE message_id = $1)
	ON CONFLICT (message_id) DO UPDATE SET state = 4, reason = excluded.reason, done = true
	WHERE d.state IN (0, 4) AND d.tenant_id = excluded.tenant_id
	RETURNING 1
)
SELECT count(*) FROM w`

// cancelLockSQL takes message $1's cancel lock (exclusive).
const cancelLockSQL = "SELECT pg_advisory_xact_lock($2::int, hashtext($1) & $3::int)"

// cancelDueNowSQL makes a canceled message's schedule due.
const cancelDueNowSQL = "UPDATE schedules SET due_at = now() WHERE message_id = $1 AND due_at > now()"

// emitCanceled records that rec's message was canceled.
func (c *Consumer) emitCanceled(ctx context.Context, rec *recordv1.Submit) bool {
	ev := submitEvent(rec, core.StatusCanceled, c.now())
	ev.Reason = reasonCanceled
	c.metrics.addFinal(core.StatusCanceled)
	return c.emit(ctx, ev)
}
