package gateway

import (
	"context"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// pendingBindRetry is how soon a loop looks again when a session of its
// account bound but is not marked bound yet.
const pendingBindRetry = 20 * time.Millisecond

// deliverLoop sends an account's receipts and replies on its sessions
// here that can receive, until ctx ends: when woken (a notification, a
// new bind), every PollInterval, and at once again while it finds full
// batches.
func (s *Server) deliverLoop(ctx context.Context, st *accountState) {
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		more, pending := s.deliverBatch(ctx, st)
		if ctx.Err() != nil {
			return
		}
		if more {
			continue
		}
		if pending {
			retry.Reset(pendingBindRetry)
		}
		select {
		case <-ctx.Done():
			return
		case <-st.wake:
		case <-poll.C:
		case <-retry.C:
		}
	}
}

// sent is the outcome of one deliver_sm.
type sent struct {
	row    int
	status smpp.CommandStatus
	err    error
}

// deliverBatch claims as many rows as the account's receiving sessions
// have window for, sends them round robin and waits for every answer:
// acknowledged rows are deleted, refused ones offered again after
// RetryDelay (dropped after MaxAttempts), unanswered ones at once. It
// reports whether it filled the batch (more may wait) and whether a
// session is about to be bound.
func (s *Server) deliverBatch(ctx context.Context, st *accountState) (more, pending bool) {
	recv, pending := st.receivers()
	if len(recv) == 0 {
		return false, pending
	}
	n := min(s.cfg.Window*len(recv), 1000)
	rows, err := s.store.claim(ctx, st.id, n, s.cfg.Lease)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("smpp deliver", "system_id", st.id, "err", err)
		}
		return false, pending
	}
	if len(rows) == 0 {
		return false, pending
	}
	latin1 := st.account().Latin1
	results := make(chan sent, len(rows))
	for i, r := range rows {
		ss := recv[i%len(recv)]
		err := ss.SendAsync(ctx, deliverPDU(r, latin1), func(resp smpp.PDU, err error) {
			results <- sent{row: i, status: resp.Status, err: err}
		})
		if err != nil {
			results <- sent{row: i, err: err}
		}
	}
	var acked, again, refused, dropped []int64
	for range rows {
		var res sent
		select {
		case res = <-results:
		case <-ctx.Done():
			// Claimed rows go out again when their lease ends.
			return false, pending
		}
		r := rows[res.row]
		switch {
		case res.err == nil && res.status == smpp.StatusOK:
			acked = append(acked, r.id)
			s.metrics.delivered.WithLabelValues(kindName(r.kind)).Inc()
		case res.err != nil:
			again = append(again, r.id)
		case r.attempts >= s.cfg.MaxAttempts:
			dropped = append(dropped, r.id)
			s.log.Warn("smpp deliver_sm refused for good: dropped", "system_id", st.id, "kind", kindName(r.kind),
				"receipt_id", r.receiptID, "status", res.status.Name(), "attempts", r.attempts)
		default:
			refused = append(refused, r.id)
			s.log.Info("smpp deliver_sm refused: offered again later", "system_id", st.id, "kind", kindName(r.kind),
				"status", res.status.Name(), "attempts", r.attempts)
		}
	}
	s.metrics.expired.WithLabelValues("refused").Add(float64(len(dropped)))
	for _, step := range []struct {
		ids []int64
		do  func(context.Context, []int64) error
	}{
		{append(acked, dropped...), s.store.ack},
		{again, func(ctx context.Context, ids []int64) error { return s.store.release(ctx, ids, 0) }},
		{refused, func(ctx context.Context, ids []int64) error { return s.store.release(ctx, ids, s.cfg.RetryDelay) }},
	} {
		if err := step.do(ctx, step.ids); err != nil && ctx.Err() == nil {
			// Rows not deleted go out again after their lease: the
			// customer may see one twice, never none.
			s.log.Warn("smpp deliver", "system_id", st.id, "err", err)
		}
	}
	return len(rows) == n && len(again) == 0, pending
}
