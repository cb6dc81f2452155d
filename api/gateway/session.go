package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
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
		h.srv.log.Warn("smpp session ended", "system_id", h.acct.id, "err", err)
	}
}

// authenticate decides a bind and returns why it refused, for logs and
// metrics. An unknown system_id and a wrong password get the same answer.
func (s *Server) authenticate(ctx context.Context, h *session, b *smpp.Bind) (smpp.CommandStatus, string) {
	remote := remoteAddr(h.ss.RemoteAddr())
	a, err := s.store.account(ctx, b.SystemID)
	switch {
	case errors.Is(err, ErrNoAccount):
		return smpp.StatusInvalidPassword, "unknown system_id"
	case err != nil:
		s.log.Warn("smpp bind", "system_id", b.SystemID, "err", err)
		return smpp.StatusBindFailed, "error"
	case a.Disabled:
		return smpp.StatusBindFailed, "disabled"
	case !a.allows(remote):
		return smpp.StatusBindFailed, "address not allowed"
	}
	ok, err := s.verify(ctx, a, b.Password)
	if err != nil {
		s.log.Warn("smpp bind", "system_id", b.SystemID, "err", err)
		return smpp.StatusBindFailed, "error"
	}
	if !ok {
		return smpp.StatusInvalidPassword, "password"
	}
	id, ok, err := s.store.registerBind(ctx, a.SystemID, s.cfg.InstanceID, h.ss.RemoteAddr().String(), b.Type, a.BindLimit, s.staleAfter())
	if err != nil {
		s.log.Warn("smpp bind", "system_id", b.SystemID, "err", err)
		return smpp.StatusBindFailed, "error"
	}
	if !ok {
		return smpp.StatusBindFailed, "bind limit"
	}
	h.bindID = id
	h.acct = s.attach(h, a)
	s.metrics.bound.Inc()
	s.refreshShares(ctx, h.acct)
	h.acct.poke()
	return smpp.StatusOK, ""
}

// verify checks a bind's password. Hashing is slow on purpose, so it runs
// one at a time, and a password that matched is remembered (as a digest
// with the hash it matched) until the account's hash changes.
func (s *Server) verify(ctx context.Context, a storedAccount, password string) (bool, error) {
	proof := sha256.Sum256([]byte(a.hash + "\x00" + password))
	if v, ok := s.verified.Load(a.SystemID); ok && v.([32]byte) == proof {
		return true, nil
	}
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	ok, err := checkPassword(a.hash, password)
	<-s.hashing
	if ok {
		s.verified.Store(a.SystemID, proof)
	}
	return ok, err
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
