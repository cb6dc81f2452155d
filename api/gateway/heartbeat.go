package gateway

import (
	"context"
	"time"
)

// heartbeatLoop keeps this instance's binds alive in the shared table,
// reloads the bound accounts' settings (unbinding the sessions of
// accounts disabled or no longer allowed from their address) and
// rebalances their throughput shares, every Heartbeat until ctx ends.
func (s *Server) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.heartbeat(ctx)
	}
}

func (s *Server) heartbeat(ctx context.Context) {
	s.mu.Lock()
	states := make(map[string]*accountState, len(s.accounts))
	ids := make([]string, 0, len(s.accounts))
	for id, st := range s.accounts {
		states[id] = st
		ids = append(ids, id)
	}
	s.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	var binds []int64
	for _, st := range states {
		for _, h := range st.all() {
			binds = append(binds, h.bindID)
		}
	}
	err := s.store.touchBinds(ctx, s.cfg.InstanceID, binds)
	var shares map[string]share
	if err == nil {
		shares, err = s.store.shares(ctx, s.cfg.InstanceID, ids, s.staleAfter())
	}
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("smpp gateway heartbeat", "err", err)
		}
		return
	}
	accts, err := s.store.accountsByID(ctx, ids)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("smpp gateway heartbeat", "err", err)
		}
		return
	}
	for id, st := range states {
		a, ok := accts[id]
		if !ok || a.Disabled {
			s.log.Warn("smpp account disabled or removed: unbinding its sessions", "system_id", id)
			for _, h := range st.all() {
				s.kick(h)
			}
			continue
		}
		st.acct.Store(&a)
		st.setLimit(a.Throughput, shares[id])
		for _, h := range st.all() {
			if !a.allows(remoteAddr(h.ss.RemoteAddr())) {
				s.log.Warn("smpp session no longer allowed from its address: unbinding", "system_id", id, "remote", h.ss.RemoteAddr().String())
				s.kick(h)
			}
		}
	}
}

// refreshShares sets an account's throughput share from the bind table,
// right after one of its binds.
func (s *Server) refreshShares(ctx context.Context, st *accountState) {
	shares, err := s.store.shares(ctx, s.cfg.InstanceID, []string{st.id}, s.staleAfter())
	if err != nil {
		s.log.Warn("smpp throughput share", "system_id", st.id, "err", err)
		return
	}
	st.setLimit(st.account().Throughput, shares[st.id])
}

// kick unbinds a session, waiting at most the request timeout.
func (s *Server) kick(h *session) {
	s.wg.Go(func() {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
		defer cancel()
		h.ss.Unbind(ctx)
	})
}
