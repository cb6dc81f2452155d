package smpp

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/ternsms/tern/carriers"
)

// The states of a call (call.state): queued for the writer, written, or
// withdrawn before it was written (its caller gave up, or the connection
// closed).
const (
	callQueued uint32 = iota
	callWritten
	callAbandoned
)

// call is one request waiting for its response. Whoever removes it from
// conn.pending finishes it: frees its window slot and reports the
// outcome. The outcome is reported exactly once; a call abandoned after it
// was written is reported in doubt at once but keeps its slot until the
// peer answers or the request times out, so the window counts what the
// peer may still be working on.
type call struct {
	id       CommandID
	seq      uint32
	windowed bool
	state    atomic.Uint32
	reported atomic.Bool
	sentAt   atomic.Int64 // unix nanoseconds; set when written
	stop     func() bool  // unregisters the ctx watch, when set

	done   chan struct{} // closed on completion, unless onDone is set
	onDone func(PDU, error)
	resp   PDU
	err    error
}

// windowExempt lists requests that never wait for the window: keepalive
// and session control must get through a full window.
func windowExempt(id CommandID) bool {
	switch id {
	case CmdEnquireLink, CmdUnbind, CmdBindReceiver, CmdBindTransmitter, CmdBindTransceiver:
		return true
	}
	return false
}

// acquire takes a window slot, waiting (bounded by ctx) while the window
// is full. The slot goes back with releaseSlot, or with the call that
// startAcquired makes.
func (c *conn) acquire(ctx context.Context) error {
	select {
	case c.window <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.err
	}
}

func (c *conn) releaseSlot() { <-c.window }

// start sends a request: it waits for a window slot (bounded by ctx),
// encodes body and queues it for the writer. When start fails nothing was
// sent; an error wrapping ErrConnClosed (and not carriers.ErrInDoubt)
// says the connection died first.
//
// onDone, if set, is called once with the outcome instead of the call
// being waited on; it must not block. The call then also watches ctx:
// when ctx ends first, onDone hears ctx's error at once (wrapped with
// carriers.ErrInDoubt when the request was written).
func (c *conn) start(ctx context.Context, body Body, onDone func(PDU, error)) (*call, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !windowExempt(body.CommandID()) {
		if err := c.acquire(ctx); err != nil {
			return nil, err
		}
	}
	return c.startAcquired(ctx, body, onDone)
}

// startAcquired is start for a caller that already holds the window slot
// a windowed request needs. The slot is released when start fails.
func (c *conn) startAcquired(ctx context.Context, body Body, onDone func(PDU, error)) (*call, error) {
	id := body.CommandID()
	cl := &call{id: id, windowed: !windowExempt(id), onDone: onDone}
	if onDone == nil {
		cl.done = make(chan struct{})
	}
	if err := ctx.Err(); err != nil {
		c.release(cl)
		return nil, err
	}
	cl.seq = c.nextSeq()
	buf := c.getBuf()
	p := PDU{Header: Header{Seq: cl.seq}, Body: body}
	var err error
	if *buf, err = p.AppendTo((*buf)[:0]); err != nil {
		c.putBuf(buf)
		c.release(cl)
		return nil, err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.putBuf(buf)
		c.release(cl)
		return nil, c.err
	}
	c.pending[cl.seq] = cl
	if onDone != nil && ctx.Done() != nil {
		// Set under the lock: whoever takes cl from pending reads it.
		cl.stop = context.AfterFunc(ctx, func() { c.abandon(cl, ctx.Err()) })
	}
	c.mu.Unlock()
	select {
	case c.out <- outFrame{buf: buf, call: cl}:
		return cl, nil
	case <-c.done:
		// close failed the call as never sent; it reports that.
		c.putBuf(buf)
		return cl, nil
	case <-ctx.Done():
		c.putBuf(buf)
		if cl.state.CompareAndSwap(callQueued, callAbandoned) && c.remove(cl) {
			c.stopWatch(cl)
			c.release(cl)
			return nil, ctx.Err()
		}
		// Someone else took the call and reports it.
		return cl, nil
	}
}

// wait returns the response to cl. The response may carry a non-zero
// command_status; errors are about the transport: ctx ending before the
// response (in doubt if the request was written), timeouts and lost
// connections (carriers.ErrInDoubt when written).
func (c *conn) wait(ctx context.Context, cl *call) (PDU, error) {
	select {
	case <-cl.done:
		return cl.resp, cl.err
	case <-ctx.Done():
	}
	c.abandon(cl, ctx.Err())
	<-cl.done
	return cl.resp, cl.err
}

// send is start followed by wait.
func (c *conn) send(ctx context.Context, body Body) (PDU, error) {
	cl, err := c.start(ctx, body, nil)
	if err != nil {
		return PDU{}, err
	}
	return c.wait(ctx, cl)
}

// abandon gives up on cl because its caller's context ended: a request
// not yet written is withdrawn and reported as never sent; a written one
// is reported in doubt now and keeps its window slot until the peer
// answers or the sweeper expires it.
func (c *conn) abandon(cl *call, cause error) {
	if cl.state.CompareAndSwap(callQueued, callAbandoned) {
		if c.remove(cl) {
			c.finish(cl, PDU{}, cause)
		}
		return
	}
	if cl.state.Load() == callWritten {
		c.report(cl, PDU{}, fmt.Errorf("%w: %w", carriers.ErrInDoubt, cause))
	}
	// Otherwise whoever withdrew the call reports it.
}

// remove takes cl out of pending and reports whether it was there.
func (c *conn) remove(cl *call) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[cl.seq] != cl {
		return false
	}
	delete(c.pending, cl.seq)
	return true
}

func (c *conn) release(cl *call) {
	if cl.windowed {
		<-c.window
	}
}

func (c *conn) stopWatch(cl *call) {
	if cl.stop != nil {
		cl.stop()
	}
}

// finish completes a call its caller took out of pending.
func (c *conn) finish(cl *call, resp PDU, err error) {
	c.stopWatch(cl)
	c.release(cl)
	c.report(cl, resp, err)
}

// report hands the outcome to the caller, the first time only.
func (c *conn) report(cl *call, resp PDU, err error) {
	if !cl.reported.CompareAndSwap(false, true) {
		return
	}
	if cl.onDone != nil {
		cl.onDone(resp, err)
		return
	}
	cl.resp, cl.err = resp, err
	close(cl.done)
}

func (c *conn) take(seq uint32) *call {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.pending[seq]
	if cl != nil {
		delete(c.pending, seq)
	}
	return cl
}

func (c *conn) handleResponse(p PDU) {
	cl := c.take(p.Seq)
	if cl == nil {
		c.log.Debug("smpp response to no pending request", "command", p.ID, "seq", p.Seq, "status", p.Status)
		return
	}
	switch {
	case p.ID == cl.id.Resp():
	case p.ID == CmdGenericNack:
		if p.Status == StatusOK {
			p.Status = StatusUnknownError
		}
	default:
		c.finish(cl, PDU{}, fmt.Errorf("%w: %s answered with %s", carriers.ErrInDoubt, cl.id, p.ID))
		return
	}
	c.finish(cl, p, nil)
}
