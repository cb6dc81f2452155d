package smpp

import (
	"container/list"
	"context"
	"sync"

	"github.com/ternsms/tern/carriers"
)

// sendQueue holds the parts waiting for a bind to send them: parts to
// retry first (throttled, or back from a connection that died before
// writing them), then new parts by their submission's priority (login
// codes, then order updates, then marketing), each list in arrival order.
// It is bounded by its callers: every part belongs to a Submit that waits
// for it.
type sendQueue struct {
	mu    sync.Mutex
	lists [1 + carriers.Ranks]list.List // retry, then new parts by priority rank
	ready chan struct{}                 // holds a token while parts wait
}

// retryList and listOf index sendQueue.lists.
const retryList = 0

func listOf(p carriers.Priority) int { return 1 + p.Rank() }

func newSendQueue() *sendQueue {
	return &sendQueue{ready: make(chan struct{}, 1)}
}

// push queues p: ahead of new parts when retry is set, else behind the
// new parts of its priority and ahead of those of lower ones.
func (q *sendQueue) push(p *part, retry bool) {
	l := &q.lists[listOf(p.prio)]
	if retry {
		l = &q.lists[retryList]
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
	p.elem, p.in = q.lists[retryList].PushFront(p), &q.lists[retryList]
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
		if l := q.first(); l != nil {
			p := l.Remove(l.Front()).(*part)
			p.elem, p.in = nil, nil
			more := q.first() != nil
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

// first returns the first list with parts in it, or nil; q.mu is held.
func (q *sendQueue) first() *list.List {
	for i := range q.lists {
		if q.lists[i].Len() > 0 {
			return &q.lists[i]
		}
	}
	return nil
}

// len returns how many parts wait.
func (q *sendQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for i := range q.lists {
		n += q.lists[i].Len()
	}
	return n
}
