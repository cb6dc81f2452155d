package smpp

import (
	"container/list"
	"strings"
	"sync"
	"time"

	"github.com/ternsms/tern/carriers"
)

// moKey identifies one multipart inbound message being reassembled.
type moKey struct {
	from, to string
	ref      uint16
	total    int
}

// moPartial is a multipart inbound message waiting for parts.
type moPartial struct {
	key   moKey
	in    carriers.Inbound // From, To, Carrier; Text and Received are filled in when delivered
	texts []string
	have  []bool
	got   int
	first time.Time
	elem  *list.Element
}

// reassembler joins the parts of multipart inbound messages, whichever
// receiver session they arrive on. It holds at most max messages; the
// oldest beyond that, and any whose parts stopped coming for timeout, are
// given up and delivered with the parts that did arrive, so that a reply
// such as STOP in a first part is never lost. Parts are acknowledged to
// the SMSC as they arrive: a crash loses the parts held here.
type reassembler struct {
	max     int
	timeout time.Duration

	mu    sync.Mutex
	byKey map[moKey]*moPartial
	order list.List // oldest first
}

func newReassembler(max int, timeout time.Duration) *reassembler {
	return &reassembler{max: max, timeout: timeout, byKey: make(map[moKey]*moPartial)}
}

// add stores part seq (1-based) of the message key and returns the whole
// message when every part is there; the message stays held until done
// is called, so a handler failure can be retried when the SMSC delivers
// the last part again. evicted are messages pushed out by the bound.
func (r *reassembler) add(key moKey, seq int, text string, in carriers.Inbound, now time.Time) (whole carriers.Inbound, complete bool, evicted []carriers.Inbound) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pt := r.byKey[key]
	if pt == nil {
		for r.order.Len() >= r.max {
			old := r.order.Remove(r.order.Front()).(*moPartial)
			delete(r.byKey, old.key)
			evicted = append(evicted, old.partial())
		}
		pt = &moPartial{key: key, in: in, texts: make([]string, key.total), have: make([]bool, key.total), first: now}
		pt.elem = r.order.PushBack(pt)
		r.byKey[key] = pt
	}
	if i := seq - 1; !pt.have[i] {
		pt.have[i] = true
		pt.got++
	}
	pt.texts[seq-1] = text
	pt.in.Received = now
	if pt.got < key.total {
		return carriers.Inbound{}, false, evicted
	}
	return pt.partial(), true, evicted
}

// done forgets a message whose whole text was delivered.
func (r *reassembler) done(key moKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if pt := r.byKey[key]; pt != nil {
		r.order.Remove(pt.elem)
		delete(r.byKey, key)
	}
}

// expire removes and returns the messages whose first part came more
// than the timeout before now.
func (r *reassembler) expire(now time.Time) []carriers.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []carriers.Inbound
	for e := r.order.Front(); e != nil; {
		pt := e.Value.(*moPartial)
		if now.Sub(pt.first) < r.timeout {
			break
		}
		next := e.Next()
		r.order.Remove(e)
		delete(r.byKey, pt.key)
		out = append(out, pt.partial())
		e = next
	}
	return out
}

// len returns how many messages wait for parts.
func (r *reassembler) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.order.Len()
}

// partial returns the message with the parts that arrived, in order.
func (pt *moPartial) partial() carriers.Inbound {
	in := pt.in
	var b strings.Builder
	for i, t := range pt.texts {
		if pt.have[i] {
			b.WriteString(t)
		}
	}
	in.Text = b.String()
	return in
}
