package smscsim

import (
	"context"

	"github.com/ternsms/tern/carriers/smpp"
)

// session is the simulator's handler for one connection.
type session struct {
	srv *Server
	nc  *faultConn
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
	srv := h.srv
	switch m := p.Body.(type) {
	case *smpp.SubmitSM:
		if srv.admit(h, p) {
			srv.submit(h, p, submission{dests: []smpp.Address{m.Dest}, source: m.Source, esmClass: m.ESMClass,
				registered: m.RegisteredDelivery, dataCoding: m.DataCoding, payload: m.Payload(), tlvs: m.TLVs})
		}
	case *smpp.DataSM:
		if srv.admit(h, p) {
			srv.submit(h, p, submission{dests: []smpp.Address{m.Dest}, source: m.Source, esmClass: m.ESMClass,
				registered: m.RegisteredDelivery, dataCoding: m.DataCoding, payload: m.Payload(), tlvs: m.TLVs})
		}
	case *smpp.SubmitMulti:
		if srv.admit(h, p) {
			srv.submitMulti(h, p, m)
		}
	case *smpp.QuerySM:
		srv.querySM(h, p, m)
	case *smpp.CancelSM:
		srv.cancelSM(h, p, m)
	case *smpp.ReplaceSM:
		srv.replaceSM(h, p, m)
	default:
		_ = ss.Respond(p, smpp.StatusInvalidCmdID, nil)
	}
}
