package smpp

import (
	"container/list"
	"context"
	"sync"
)

// sendQueue holds the parts waiting for a bind to send them: parts to
// retry first (throttled, or back from a connection that died before
// writing them), then new parts of urgent submissions (carriers.Submission
// Urgent: login codes, order updates), then the other new parts, each in
// arrival order. It is bounded by its callers: every part belongs to a
// Submit that waits for it.
type sendQueue struct {
	mu     sync.Mutex
	retry  list.List
	urgent list.List
	fresh  list.List
	ready  chan struct{} // holds a token while parts wait
}

func newSendQueue() *sendQueue {
	return &sendQueue{ready: make(chan struct{}, 1)}
}

// push queues p: ahead of new parts when retry is set, else ahead of the
// other new parts when p belongs to an urgent submission.
func (q *sendQueue) push(p *part, retry bool) {
	l := &q.fresh
	switch {
	case retry:
		l = &q.retry
	case p.urgent:
		l = &q.urgent
	}
	q.mu.Lock()
	p.elem, p.in = l.PushBack(p), l
	q.mu.Unlock()
	q.signal()
}

// pushFront puts p back at the very front: it was taken but not sent.
// It reports false, queueing nothing, when p's Submit gave up on it
// meanwhile (see remove); the caller then reports p as not sent.
func (q *sendQueue) pushFront(p *part) bool {
	q.mu.Lock()
	if p.gone {
		q.mu.Unlock()
		return false
	}
	p.elem, p.in = q.retry.PushFront(p), &q.retry
	q.mu.Unlock()
	q.signal()
	return true
}

func (q *sendQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// remove withdraws p and reports whether it was still queued. When it
// was not, a sender has it, and p is marked gone so that the sender
// reports it rather than queue it again.
func (q *sendQueue) remove(p *part) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if p.elem == nil {
		p.gone = true
		return false
	}
	p.in.Remove(p.elem)
	p.elem, p.in = nil, nil
	return true
}

// pop takes the next part, waiting until one comes, ctx ends or stop
// closes.
func (q *sendQueue) pop(ctx context.Context, stop <-chan struct{}) (*part, bool) {
	for {
		q.mu.Lock()
		l := &q.retry
		if l.Len() == 0 {
			l = &q.urgent
		}
		if l.Len() == 0 {
			l = &q.fresh
		}
		if e := l.Front(); e != nil {
			p := l.Remove(e).(*part)
			p.elem, p.in = nil, nil
			more := q.retry.Len()+q.urgent.Len()+q.fresh.Len() > 0
			q.mu.Unlock()
			if more {
				q.signal() // wake the next sender
			}
			return p, true
		}
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-ctx.Done():
			return nil, false
		case <-stop:
			return nil, false
		}
	}
}

// len returns how many parts wait.
func (q *sendQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.retry.Len() + q.urgent.Len() + q.fresh.Len()
}
