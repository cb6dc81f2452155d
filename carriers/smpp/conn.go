package smpp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ternsms/tern/carriers"
)

// conn is the engine under both ends of a session: it frames and writes
// PDUs from one writer goroutine, reads and dispatches them on the reader
// goroutine, matches responses to requests by sequence number, bounds
// requests in flight with a window and expires requests whose response
// does not come.
//
// Requests from the peer other than enquire_link go to onRequest, on the
// reader goroutine; it must not block for long.
type conn struct {
	nc        net.Conn
	cfg       connConfig
	log       *slog.Logger
	onRequest func(PDU)

	seq    atomic.Uint32
	window chan struct{}
	out    chan outFrame

	mu      sync.Mutex
	closed  bool
	pending map[uint32]*call

	done      chan struct{}
	closeOnce sync.Once
	err       error // why the connection ended; set before done closes

	lastRead atomic.Int64 // unix nanoseconds of the last frame read

	bufs sync.Pool
}

type connConfig struct {
	window         int
	requestTimeout time.Duration
	maxPDU         int
	// idleTimeout, when set, closes the connection after this long
	// without a frame from the peer.
	idleTimeout time.Duration
}

// outFrame is one encoded PDU on its way to the writer. call is nil for
// responses. closeAfter closes the connection once the frame is flushed.
type outFrame struct {
	buf        *[]byte
	call       *call
	closeAfter bool
}

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

func newConn(nc net.Conn, cfg connConfig, log *slog.Logger) *conn {
	if cfg.window <= 0 {
		cfg.window = 100
	}
	if cfg.requestTimeout <= 0 {
		cfg.requestTimeout = 10 * time.Second
	}
	c := &conn{
		nc:      nc,
		cfg:     cfg,
		log:     log,
		window:  make(chan struct{}, cfg.window),
		out:     make(chan outFrame, cfg.window+64),
		pending: make(map[uint32]*call, cfg.window),
		done:    make(chan struct{}),
	}
	c.bufs.New = func() any {
		b := make([]byte, 0, 512)
		return &b
	}
	c.lastRead.Store(time.Now().UnixNano())
	return c
}

// serve runs the connection until it ends: the reader on the calling
// goroutine, the writer and the timeout sweeper beside it. It returns why
// the connection ended and closes nc.
func (c *conn) serve() error {
	var wg sync.WaitGroup
	wg.Go(c.writeLoop)
	wg.Go(c.sweepLoop)
	err := c.readLoop()
	c.close(err)
	wg.Wait()
	return c.Err()
}

// Err returns why the connection ended, nil while it is open.
func (c *conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

func (c *conn) isClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// close ends the connection, failing every request still waiting: those
// already written are in doubt, the others were never sent.
func (c *conn) close(cause error) {
	c.closeOnce.Do(func() {
		if cause == nil || errors.Is(cause, io.EOF) {
			cause = ErrConnClosed
		} else if !errors.Is(cause, ErrConnClosed) {
			cause = fmt.Errorf("%w: %w", ErrConnClosed, cause)
		}
		c.mu.Lock()
		c.err = cause
		c.closed = true
		pending := c.pending
		c.pending = nil
		c.mu.Unlock()
		close(c.done)
		c.nc.Close()
		for _, cl := range pending {
			cl.state.CompareAndSwap(callQueued, callAbandoned)
			if cl.state.Load() == callAbandoned {
				c.finish(cl, PDU{}, cause)
			} else {
				c.finish(cl, PDU{}, fmt.Errorf("%w: %w", carriers.ErrInDoubt, cause))
			}
		}
	})
}

func (c *conn) nextSeq() uint32 {
	for {
		if s := c.seq.Add(1) & MaxSeq; s != 0 {
			return s
		}
	}
}

func (c *conn) getBuf() *[]byte { return c.bufs.Get().(*[]byte) }

func (c *conn) putBuf(b *[]byte) {
	if cap(*b) <= 64*1024 {
		*b = (*b)[:0]
		c.bufs.Put(b)
	}
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

// respond queues a response (or generic_nack) with h's id, status and
// sequence number. A nil body sends the header alone.
func (c *conn) respond(h Header, body Body) error {
	return c.queue(h, body, false)
}

// respondAndClose queues a response and closes the connection once it is
// written: the answer to unbind.
func (c *conn) respondAndClose(h Header, body Body) error {
	return c.queue(h, body, true)
}

func (c *conn) queue(h Header, body Body, closeAfter bool) error {
	buf := c.getBuf()
	p := PDU{Header: h, Body: body}
	var err error
	if *buf, err = p.AppendTo((*buf)[:0]); err != nil {
		c.putBuf(buf)
		return err
	}
	select {
	case c.out <- outFrame{buf: buf, closeAfter: closeAfter}:
		return nil
	case <-c.done:
		c.putBuf(buf)
		return c.err
	}
}

func (c *conn) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, 32*1024)
	for {
		var f outFrame
		select {
		case f = <-c.out:
		case <-c.done:
			return
		}
		if err := c.nc.SetWriteDeadline(time.Now().Add(c.cfg.requestTimeout)); err != nil {
			c.close(fmt.Errorf("write: %w", err))
			return
		}
		closeAfter := false
		for {
			if f.call == nil || f.call.state.CompareAndSwap(callQueued, callWritten) {
				if f.call != nil {
					f.call.sentAt.Store(time.Now().UnixNano())
				}
				if _, err := bw.Write(*f.buf); err != nil {
					c.close(fmt.Errorf("write: %w", err))
					return
				}
			}
			c.putBuf(f.buf)
			closeAfter = closeAfter || f.closeAfter
			if closeAfter {
				break
			}
			select {
			case f = <-c.out:
				continue
			default:
			}
			break
		}
		if err := bw.Flush(); err != nil {
			c.close(fmt.Errorf("write: %w", err))
			return
		}
		if closeAfter {
			c.close(ErrConnClosed)
			return
		}
	}
}

// sweepLoop fails written requests older than the request timeout and
// closes a connection idle for longer than the idle timeout.
func (c *conn) sweepLoop() {
	tick := c.cfg.requestTimeout / 4
	if c.cfg.idleTimeout > 0 {
		tick = min(tick, c.cfg.idleTimeout/4)
	}
	tick = min(max(tick, 5*time.Millisecond), time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	var expired []*call
	for {
		select {
		case <-c.done:
			return
		case now := <-t.C:
			if idle := c.cfg.idleTimeout; idle > 0 && now.UnixNano()-c.lastRead.Load() > int64(idle) {
				c.close(fmt.Errorf("nothing from the peer for %v: %w", idle, ErrIdleTimeout))
				return
			}
			limit := now.Add(-c.cfg.requestTimeout).UnixNano()
			expired = expired[:0]
			c.mu.Lock()
			for seq, cl := range c.pending {
				if s := cl.sentAt.Load(); s != 0 && s < limit {
					delete(c.pending, seq)
					expired = append(expired, cl)
				}
			}
			c.mu.Unlock()
			for _, cl := range expired {
				c.log.Warn("smpp request timed out", "command", cl.id, "seq", cl.seq)
				c.finish(cl, PDU{}, fmt.Errorf("%w: %s seq %d: %w", carriers.ErrInDoubt, cl.id, cl.seq, ErrTimeout))
			}
		}
	}
}

func (c *conn) readLoop() error {
	r := NewReader(c.nc, c.cfg.maxPDU)
	for {
		frame, err := r.ReadFrame()
		if err != nil {
			if c.isClosed() {
				return c.err
			}
			return fmt.Errorf("read: %w", err)
		}
		c.lastRead.Store(time.Now().UnixNano())
		p, err := Decode(frame)
		if err != nil {
			if errors.Is(err, ErrCommandLength) {
				return err
			}
			c.badPDU(p, err)
			continue
		}
		if p.ID.IsResponse() {
			c.handleResponse(p)
			continue
		}
		if p.ID == CmdEnquireLink {
			if err := c.respond(Header{ID: CmdEnquireLinkResp, Seq: p.Seq}, &EnquireLinkResp{}); err != nil {
				return err
			}
			continue
		}
		c.onRequest(p)
	}
}

// badPDU answers a PDU whose header was readable but whose body was not:
// a broken request gets generic_nack with the status the decoder chose; a
// broken response fails its request as in doubt (the peer answered, but
// what it said is unknown).
func (c *conn) badPDU(p PDU, err error) {
	c.log.Warn("smpp bad pdu", "command", p.ID, "seq", p.Seq, "err", err)
	if p.ID.IsResponse() {
		if cl := c.take(p.Seq); cl != nil {
			c.finish(cl, PDU{}, fmt.Errorf("%w: %w", carriers.ErrInDoubt, err))
		}
		return
	}
	st := StatusSystemError
	if errors.Is(err, ErrUnknownCommand) {
		st = StatusInvalidCmdID
	} else {
		errors.As(err, &st)
	}
	if !p.ID.HasResponse() {
		return
	}
	// A body the layout cannot frame gets generic_nack; a field out of
	// range gets the command's own response with the field's status.
	id := p.ID.Resp()
	if st == StatusInvalidCmdID || st == StatusInvalidCmdLength {
		id = CmdGenericNack
	}
	_ = c.respond(Header{ID: id, Status: st, Seq: p.Seq}, nil)
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

// keepalive sends enquire_link every interval until the connection or ctx
// ends, and closes the connection when one goes unanswered.
func (c *conn) keepalive(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.done:
			return
		case <-t.C:
		}
		// The sweeper bounds the wait by the request timeout.
		_, err := c.send(ctx, &EnquireLink{})
		if err != nil && ctx.Err() == nil {
			c.close(fmt.Errorf("enquire_link: %w", err))
			return
		}
	}
}
