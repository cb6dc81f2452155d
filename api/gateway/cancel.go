package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/pipeline"
)

// Canceler withdraws messages no carrier has had yet; the pipeline's
// Canceler is one.
type Canceler interface {
	Cancel(ctx context.Context, tenantID, id string, created time.Time) error
}

// WithCancels answers cancel_sm by withdrawing the message with the id,
// for ids that ids says were issued to the bound account's tenant.
// Without it cancel_sm is refused with ESME_RCANCELFAIL.
func WithCancels(c Canceler, ids IDChecker) Option {
	return optionFunc(func(s *Server) { s.cancels, s.ids = c, ids })
}

// cancelSM answers cancel_sm off the session's reader. It withdraws the
// message with the id the customer got for it and, for a submit_multi that
// asked for receipts, every message of it: the gateway keeps their ids
// for the receipts. Of a submit_multi without receipts it withdraws the
// first accepted destination's message only, the one the id names. Withdrawing by source and destination address
// alone (no message_id) is refused: the gateway keeps no index of those.
// The addresses and service type given with an id are not compared; the
// id, a keyed tag of the tenant, is enough.
func (s *Server) cancelSM(h *session, p smpp.PDU) {
	c, ok := p.Body.(*smpp.CancelSM)
	if !ok || s.cancels == nil || s.ids == nil || c.MessageID == "" {
		h.ss.Respond(p, smpp.StatusCancelFailed, nil)
		return
	}
	tenant := h.acct.account().TenantID
	created, err := s.ids.Check(tenant, c.MessageID)
	if err != nil {
		h.ss.Respond(p, smpp.StatusInvalidMessageID, nil)
		return
	}
	s.wg.Go(func() {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
		defer cancel()
		st, err := s.cancelAll(ctx, tenant, c.MessageID, created)
		if err != nil {
			s.log.Warn("smpp cancel_sm", "system_id", h.acct.id, "err", err)
		}
		h.ss.Respond(p, st, nil)
	})
}

// cancelAll withdraws id and the other messages of its submit_multi. It
// answers ESME_ROK when all are withdrawn, ESME_RCANCELFAIL when one has
// gone to a carrier or is final (the others stay withdrawn), and
// ESME_RSYSERR with the error when the stores failed.
func (s *Server) cancelAll(ctx context.Context, tenant, id string, created time.Time) (smpp.CommandStatus, error) {
	ids, err := s.store.multiOf(ctx, id)
	if err != nil {
		return smpp.StatusSystemError, err
	}
	st := smpp.StatusOK
	for _, m := range ids {
		err := s.cancels.Cancel(ctx, tenant, m, created)
		switch {
		case err == nil:
		case errors.Is(err, pipeline.ErrNotCancelable):
			st = smpp.StatusCancelFailed
		case errors.Is(err, pipeline.ErrForeignMessage):
			return smpp.StatusInvalidMessageID, nil
		default:
			return smpp.StatusSystemError, err
		}
	}
	return st, nil
}

// multiOf returns id and the other messages answered with it (the rest of
// its submit_multi), id first.
func (s *Store) multiOf(ctx context.Context, id string) ([]string, error) {
	rows, err := s.pool.Query(ctx, "SELECT message_id FROM smpp_messages WHERE receipt_id = $1 AND message_id <> $1", id)
	if err != nil {
		return nil, fmt.Errorf("messages of %s: %w", id, err)
	}
	rest, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("messages of %s: %w", id, err)
	}
	return append([]string{id}, rest...), nil
}
