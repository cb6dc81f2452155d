package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core"
)

// Reports finds a message's latest status for query_sm, as GetMessage
// does; analytics' Store is one.
type Reports interface {
	Message(ctx context.Context, tenantID, messageID string) (analytics.MessageView, error)
}

// IDChecker tells whether tern issued an id to a tenant; the msgid
// Issuer is one.
type IDChecker interface {
	Check(tenant, id string) (time.Time, error)
}

// WithQueries answers query_sm from reports, for ids that ids says were
// issued to the bound account's tenant. Without it query_sm is refused
// with ESME_RQUERYFAIL.
func WithQueries(reports Reports, ids IDChecker) Option {
	return optionFunc(func(s *Server) { s.reports, s.ids = reports, ids })
}

// query answers query_sm off the session's reader: the state of the
// message with the id the customer got for it (for submit_multi, the
// first accepted destination's), or ESME_RTHROTTLED when the tenant is
// over its share of report queries (analytics.ErrReadLimited). The source address is not compared
// with the submit's; the id, a keyed tag of the tenant, is enough.
func (s *Server) query(h *session, p smpp.PDU) {
	q, ok := p.Body.(*smpp.QuerySM)
	if !ok || s.reports == nil || s.ids == nil {
		h.ss.Respond(p, smpp.StatusQueryFailed, nil)
		return
	}
	tenant := h.acct.account().TenantID
	if _, err := s.ids.Check(tenant, q.MessageID); err != nil {
		h.ss.Respond(p, smpp.StatusInvalidMessageID, nil)
		return
	}
	s.wg.Go(func() {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
		defer cancel()
		v, err := s.reports.Message(ctx, tenant, q.MessageID)
		switch {
		case errors.Is(err, analytics.ErrNotFound):
			// Issued, no event recorded yet: queued.
			v = analytics.MessageView{Status: core.StatusQueued}
		case errors.Is(err, analytics.ErrReadLimited):
			// The tenant's share of report queries is used up.
			h.ss.Respond(p, smpp.StatusThrottled, nil)
			return
		case err != nil:
			s.log.Warn("smpp query_sm", "system_id", h.acct.id, "err", err)
			h.ss.Respond(p, smpp.StatusQueryFailed, nil)
			return
		}
		h.ss.Respond(p, smpp.StatusOK, queryResp(q.MessageID, v))
	})
}

// queryResp tells v's status as query_sm_resp does: ENROUTE until it is
// final, then the state its receipt gives, with the date it became final
// and the carrier's error code when it fits the one octet.
func queryResp(id string, v analytics.MessageView) *smpp.QuerySMResp {
	r := &smpp.QuerySMResp{MessageID: id, State: smpp.StateEnroute}
	if !v.Status.Final() {
		return r
	}
	r.State = stateOf(v.Status)
	if !v.DoneAt.IsZero() {
		r.FinalDate = formatTime(v.DoneAt)
	}
	if code := errorValue(v.ErrorCode); code <= 0xff {
		r.ErrorCode = uint8(code)
	}
	return r
}
