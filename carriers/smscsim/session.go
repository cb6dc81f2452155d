package smscsim

import (
	"context"

	"github.com/ternsms/tern/carriers/smpp"
)

// session is the simulator's handler for one connection.
type session struct {
	srv *Server
	ss  *smpp.ServerSession
}

func (h *session) Bind(_ context.Context, _ *smpp.ServerSession, b *smpp.Bind) smpp.CommandStatus {
	cfg := h.srv.cfg
	if cfg.SystemID != "" {
		if b.SystemID != cfg.SystemID {
			return smpp.StatusInvalidSystemID
		}
		if b.Password != cfg.Password {
			return smpp.StatusInvalidPassword
		}
	}
	h.srv.mu.Lock()
	h.srv.stats.Binds++
	h.srv.mu.Unlock()
	return smpp.StatusOK
}

func (h *session) Request(ss *smpp.ServerSession, p smpp.PDU) {
	switch m := p.Body.(type) {
	case *smpp.SubmitSM:
		h.srv.submit(h, p, m)
	default:
		_ = ss.Respond(p, smpp.StatusInvalidCmdID, nil)
	}
}
