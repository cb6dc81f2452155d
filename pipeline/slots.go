package pipeline

import (
	"container/list"
	"context"
	"sync"
)

// carrierSlots bounds the messages an instance has between their ledger
// intent and their answer's place in the ledger queue (Consumer.slots).
// A free slot goes to an urgent message (OTP, transactional) waiting for
// one before any marketing message waiting, so that a campaign's messages
// in the actors' hands do not hold a login code back; within each kind,
// first come first served.
type carrierSlots struct {
	mu     sync.Mutex
	free   int
	urgent list.List // of chan struct{}, closed when granted
	other  list.List
}

func newCarrierSlots(n int) *carrierSlots { return &carrierSlots{free: n} }

// acquire waits for a slot and reports whether it got one before ctx
// ended.
func (s *carrierSlots) acquire(ctx context.Context, urgent bool) bool {
	s.mu.Lock()
	if s.free > 0 && s.urgent.Len() == 0 && (urgent || s.other.Len() == 0) {
		s.free--
		s.mu.Unlock()
		return true
	}
	l := &s.other
	if urgent {
		l = &s.urgent
	}
	granted := make(chan struct{})
	e := l.PushBack(granted)
	s.mu.Unlock()
	select {
	case <-granted:
		return true
	case <-ctx.Done():
	}
	s.mu.Lock()
	select {
	case <-granted:
		// Granted as ctx ended: pass it on.
		s.mu.Unlock()
		s.release()
	default:
		l.Remove(e)
		s.mu.Unlock()
	}
	return false
}

// release frees a slot, handing it to the next waiting message.
func (s *carrierSlots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range []*list.List{&s.urgent, &s.other} {
		if e := l.Front(); e != nil {
			close(l.Remove(e).(chan struct{}))
			return
		}
	}
	s.free++
}
