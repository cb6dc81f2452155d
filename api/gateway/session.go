package gateway

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// session is the gateway's side of one connection.
type session struct {
	srv *Server
	ss  *smpp.ServerSession
	// failed counts refused binds; Bind runs on the session's reader only.
	failed int
	// Set once by a successful bind, before any request arrives.
	acct   *accountState
	bindID int64
}

// Bind authenticates a bind; it runs on the session's reader.
func (h *session) Bind(ctx context.Context, ss *smpp.ServerSession, b *smpp.Bind) smpp.CommandStatus {
	st, reason := h.srv.authenticate(ctx, h, b)
	if st == smpp.StatusOK {
		return st
	}
	h.srv.metrics.bindsFailed.WithLabelValues(reason).Inc()
	h.srv.log.Info("smpp bind refused", "system_id", b.SystemID, "remote", ss.RemoteAddr().String(), "reason", reason, "status", st.Name())
	h.failed++
	if h.failed >= h.srv.cfg.MaxFailedBinds {
		h.srv.log.Warn("smpp connection closed after refused binds", "remote", ss.RemoteAddr().String(), "binds", h.failed)
		// After the refusal is written.
		time.AfterFunc(100*time.Millisecond, func() { ss.Close() })
	}
	return st
}

// Request takes a bound session's request; it must not block.
func (h *session) Request(ss *smpp.ServerSession, p smpp.PDU) {
	switch p.ID {
	case smpp.CmdSubmitSM, smpp.CmdSubmitMulti, smpp.CmdDataSM:
		h.srv.submit(h, p)
	case smpp.CmdQuerySM:
		h.srv.query(h, p)
	case smpp.CmdCancelSM:
		h.srv.cancelSM(h, p)
	case smpp.CmdReplaceSM:
		ss.Respond(p, smpp.StatusReplaceFailed, nil)
	default:
		ss.Respond(p, smpp.StatusInvalidCmdID, nil)
	}
}

// ended releases what a bound session held.
func (h *session) ended() {
	if h.acct == nil {
		return
	}
	h.srv.detach(h, h.acct)
	h.srv.metrics.bound.Dec()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.store.unregisterBind(ctx, h.bindID); err != nil {
		// No longer refreshed, the row goes stale after three heartbeats.
		h.srv.log.Warn("smpp session ended", "system_id", h.acct.id, "err", err)
	}
}

func remoteAddr(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ta.IP); ok {
			return ip.Unmap()
		}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// staleAfter is how long a bind row lives without its instance's
// heartbeat.
func (s *Server) staleAfter() time.Duration { return 3 * s.cfg.Heartbeat }
