package smpp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ternsms/tern/carriers"
)

// outFrame is one encoded PDU on its way to the writer. call is nil for
// responses. closeAfter closes the connection once the frame is flushed.
type outFrame struct {
	buf        *[]byte
	call       *call
	closeAfter bool
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
