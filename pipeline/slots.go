package pipeline

import (
	"container/list"
	"context"
	"sync"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
)

// carrierSlots bounds the messages an instance has between their ledger
// intent and their answer's place in the ledger queue (Consumer.slots).
// A free slot goes to the waiting message of the highest priority (login
// codes, then order updates, then marketing), so that a campaign's
// messages in the actors' hands do not hold a login code back; within a
// priority, first come first served.
type carrierSlots struct {
	mu      sync.Mutex
	free    int
	waiting [carriers.Ranks]list.List // of chan struct{}, closed when granted, by priority rank
}

func newCarrierSlots(n int) *carrierSlots { return &carrierSlots{free: n} }

// priorityOf is the carrier priority of a message of category cat.
func priorityOf(cat core.Category) carriers.Priority {
	switch cat {
	case core.CategoryOTP:
		return carriers.PriorityUrgent
	case core.CategoryMarketing:
		return carriers.PriorityBulk
	}
	return carriers.PriorityNormal
}

// acquire waits for a slot and reports whether it got one before ctx
// ended.
func (s *carrierSlots) acquire(ctx context.Context, prio carriers.Priority) bool {
	i := prio.Rank()
	s.mu.Lock()
	if s.free > 0 && !s.waitingFrom(i) {
		s.free--
		s.mu.Unlock()
		return true
	}
	l := &s.waiting[i]
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

// waitingFrom reports whether messages of list i's priority or higher
// wait; s.mu is held.
func (s *carrierSlots) waitingFrom(i int) bool {
	for j := range i + 1 {
		if s.waiting[j].Len() > 0 {
			return true
		}
	}
	return false
}

// release frees a slot, handing it to the next waiting message.
func (s *carrierSlots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.waiting {
		if l := &s.waiting[i]; l.Len() > 0 {
			close(l.Remove(l.Front()).(chan struct{}))
			return
		}
	}
	s.free++
}
