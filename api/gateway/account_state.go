package gateway

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/ternsms/tern/carriers/smpp"
)

// accountState is an account with sessions on this instance: its
// settings as last read, its share of the throughput cap, its sessions
// and the loop that delivers its receipts and replies.
type accountState struct {
	id      string
	acct    atomic.Pointer[storedAccount]
	limiter atomic.Pointer[rate.Limiter] // nil: no cap
	share   atomic.Pointer[share]

	mu       sync.Mutex
	sessions map[*session]struct{}

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// attach adds a bound session to its account's state, starting the
// delivery loop when it is the account's first session here.
func (s *Server) attach(h *session, a storedAccount) *accountState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.accounts[a.SystemID]
	if st == nil {
		st = &accountState{id: a.SystemID, sessions: make(map[*session]struct{}), wake: make(chan struct{}, 1), done: make(chan struct{})}
		st.acct.Store(&a)
		st.setLimit(a.Throughput, share{1, 1})
		var ctx context.Context
		ctx, st.cancel = context.WithCancel(s.ctx)
		s.accounts[a.SystemID] = st
		s.wg.Go(func() {
			defer close(st.done)
			s.deliverLoop(ctx, st)
		})
	}
	st.mu.Lock()
	st.sessions[h] = struct{}{}
	st.mu.Unlock()
	return st
}

// detach removes an ended session; the account's last one stops its loop.
func (s *Server) detach(h *session, st *accountState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.mu.Lock()
	delete(st.sessions, h)
	n := len(st.sessions)
	st.mu.Unlock()
	if n == 0 && s.accounts[st.id] == st {
		delete(s.accounts, st.id)
		st.cancel()
	}
}

// account returns the account's settings as last read.
func (st *accountState) account() *storedAccount { return st.acct.Load() }

// setLimit caps the account on this instance at its throughput times
// this instance's share of its submitting sessions.
func (st *accountState) setLimit(throughput float64, sh share) {
	st.share.Store(&sh)
	if throughput <= 0 {
		st.limiter.Store(nil)
		return
	}
	r := throughput
	if sh.total > 0 {
		r = throughput * float64(sh.local) / float64(sh.total)
	}
	r = max(r, 0.1)
	burst := max(1, int(math.Ceil(r)))
	if l := st.limiter.Load(); l != nil && l.Limit() == rate.Limit(r) && l.Burst() == burst {
		return
	}
	st.limiter.Store(rate.NewLimiter(rate.Limit(r), burst))
}

// allow takes n messages from the account's throughput, one per
// destination. A submit_multi to more destinations than the limiter holds
// at once is let through when a full burst is there, and the rest of it
// is taken from the time to come: later submits wait until it is paid.
func (st *accountState) allow(n int) bool {
	l := st.limiter.Load()
	if l == nil {
		return true
	}
	now := time.Now()
	if !l.AllowN(now, min(n, l.Burst())) {
		return false
	}
	for rest := n - l.Burst(); rest > 0; rest -= l.Burst() {
		l.ReserveN(now, min(rest, l.Burst()))
	}
	return true
}

// poke wakes the delivery loop.
func (st *accountState) poke() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// receivers returns the account's sessions bound to receive, and whether
// some session bound but is not marked bound yet.
func (st *accountState) receivers() (ready []*smpp.ServerSession, pending bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for h := range st.sessions {
		switch bt := h.ss.BindType(); {
		case bt == 0:
			pending = true
		case bt.CanReceive():
			ready = append(ready, h.ss)
		}
	}
	return ready, pending
}

// all returns the account's sessions.
func (st *accountState) all() []*session {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]*session, 0, len(st.sessions))
	for h := range st.sessions {
		out = append(out, h)
	}
	return out
}

// wakeAccount pokes the delivery loop of systemID if it runs here.
func (s *Server) wakeAccount(systemID string) {
	s.mu.Lock()
	st := s.accounts[systemID]
	s.mu.Unlock()
	if st != nil {
		st.poke()
	}
}

// wakeAll pokes every delivery loop, after a missed notification.
func (s *Server) wakeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.accounts {
		st.poke()
	}
}
