package smpp

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ternsms/tern/core/backoff"
)

// maxPauseDoublings bounds how far a bind's throttle pause grows: at most
// ThrottlePause << 5.
const maxPauseDoublings = 5

// keepBound runs session i of type bt until ctx ends or Close unbinds:
// dial, bind, serve, and after a loss wait a jittered, growing backoff.
// The backoff starts over only after a bind stayed up StableAfter or the
// SMSC took a submit on it, so an SMSC that accepts binds and drops them
// at once is not hammered, while one that drops a working session every
// few seconds gets it back at once.
func (c *Client) keepBound(ctx context.Context, i int, bt BindType) {
	log := c.log.With("bind", i, "type", bt)
	bo := backoff.Exponential{Base: c.cfg.ReconnectMin, Max: c.cfg.ReconnectMax}
	losses := 0 // in a row, since the backoff last started over
	t := time.NewTimer(0)
	defer t.Stop()
	<-t.C
	for {
		if ctx.Err() != nil || c.stopping() {
			return
		}
		up, carried, err := c.runConn(ctx, log, bt)
		if ctx.Err() != nil || c.stopping() {
			return
		}
		if up >= c.cfg.StableAfter || carried {
			losses = 0
		}
		losses++
		wait := bo.Delay(losses)
		log.Warn("smpp session lost; reconnecting", "err", err, "was_up", up, "in", wait)
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-c.unbinding:
			return
		case <-t.C:
		}
	}
}

// runConn runs one connection: dial, bind, keepalive, send. It returns
// how long the session was bound, whether the SMSC took a submit on it,
// and why it ended.
func (c *Client) runConn(ctx context.Context, log *slog.Logger, bt BindType) (up time.Duration, carried bool, err error) {
	nc, err := c.opts.dial(ctx, c.cfg.Addr)
	if err != nil {
		return 0, false, fmt.Errorf("dial %s: %w", c.cfg.Name, err)
	}
	cn := newConn(nc, connConfig{window: c.cfg.Window, requestTimeout: c.cfg.RequestTimeout, maxPDU: c.opts.maxPDU}, log)
	inbox := make(chan PDU, 4*c.opts.workers)
	cn.onRequest = func(p PDU) { c.onRequest(cn, inbox, p) }
	var wg sync.WaitGroup
	wg.Go(func() { cn.serve() })
	for range c.opts.workers {
		wg.Go(func() { c.dispatch(ctx, cn, inbox) })
	}
	defer wg.Wait()
	defer cn.close(ErrConnClosed)

	bctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	resp, err := cn.send(bctx, &Bind{
		Type:             bt,
		SystemID:         c.cfg.SystemID,
		Password:         c.cfg.Password,
		SystemType:       c.cfg.SystemType,
		InterfaceVersion: InterfaceVersion,
	})
	cancel()
	if err != nil {
		return 0, false, fmt.Errorf("bind %s to %s: %w", bt, c.cfg.Name, err)
	}
	if resp.Status != StatusOK {
		return 0, false, fmt.Errorf("bind %s to %s: %w", bt, c.cfg.Name, resp.Status)
	}
	log.Info("smpp bound", "smsc_system_id", resp.Body.(*BindResp).SystemID)
	boundAt := time.Now()
	c.stats.binds.Add(1)
	c.stats.bound.Add(1)
	defer c.stats.bound.Add(-1)

	sctx, stop := context.WithCancel(ctx)
	defer stop()
	wg.Go(func() { cn.keepalive(sctx, c.cfg.EnquireLink) })
	if bt.CanSubmit() {
		b := &bindConn{c: c, cn: cn}
		defer func() { carried = b.carried.Load() }()
		wg.Go(func() { b.sendLoop(sctx) })
	}
	select {
	case <-ctx.Done():
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.RequestTimeout)
		defer cancel()
		return time.Since(boundAt), false, c.unbind(uctx, log, cn)
	case <-c.unbinding:
		if c.abort.Load() {
			return time.Since(boundAt), false, nil
		}
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.RequestTimeout)
		defer cancel()
		err := c.unbind(uctx, log, cn)
		c.noteUnbindError(err)
		return time.Since(boundAt), false, err
	case <-cn.done:
		return time.Since(boundAt), false, cn.Err()
	}
}

// unbind sends unbind, waits for its answer (bounded by ctx) and closes
// the connection.
func (c *Client) unbind(ctx context.Context, log *slog.Logger, cn *conn) error {
	defer cn.close(ErrConnClosed)
	resp, err := cn.send(ctx, &Unbind{})
	if err != nil {
		return fmt.Errorf("unbind from %s: %w", c.cfg.Name, err)
	}
	if resp.Status != StatusOK {
		return fmt.Errorf("unbind from %s: %w", c.cfg.Name, resp.Status)
	}
	log.Info("smpp unbound")
	return nil
}

// bindConn is one bound session that submits: its sender takes parts
// from the client's queue while the window has room, the rate limiter
// allows and no throttle pause holds it.
type bindConn struct {
	c  *Client
	cn *conn

	// carried is set once the SMSC took a submit on this session.
	carried atomic.Bool

	mu          sync.Mutex
	pausedUntil time.Time
	pauseStart  time.Time
	streak      int // throttles in a row, for the pause
}

// sendLoop sends queued parts until the connection or ctx ends. A part
// taken but not sent goes back to the front of the queue.
func (b *bindConn) sendLoop(ctx context.Context) {
	c, cn := b.c, b.cn
	t := time.NewTimer(0)
	defer t.Stop()
	<-t.C
	sleep := func(d time.Duration, also <-chan struct{}) (slept bool) {
		t.Reset(d)
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
		case <-cn.done:
		case <-also:
		}
		t.Stop()
		return false
	}
	for {
		if err := cn.acquire(ctx); err != nil {
			return
		}
		for d := b.pause(); d > 0; d = b.pause() {
			if !sleep(d, nil) {
				cn.releaseSlot()
				return
			}
		}
		p, ok := c.queue.pop(ctx, cn.done)
		if !ok {
			cn.releaseSlot()
			return
		}
		if d := c.limiter.reserve(); d > 0 && !sleep(d, p.ctx.Done()) {
			cn.releaseSlot()
			if p.ctx.Err() == nil {
				b.giveBack(p, ErrConnClosed)
				return
			}
			p.res <- partResult{p: p, err: p.ctx.Err()}
			continue
		}
		if b.pause() > 0 {
			// Throttled while this part waited: it goes first after the
			// pause, on whichever bind is free then.
			cn.releaseSlot()
			b.giveBack(p, ErrConnClosed)
			continue
		}
		p.sentAt = time.Now()
		if _, err := cn.startAcquired(p.ctx, p.m, b.onDone(p)); err != nil {
			if errNotSent(err) && p.ctx.Err() == nil {
				b.giveBack(p, err)
				return
			}
			p.res <- partResult{p: p, err: err}
			continue
		}
		c.stats.submitted.Add(1)
	}
}

// giveBack returns a part taken but not sent to the front of the queue,
// or, when its Submit has given up on it, reports it not sent with cause.
func (b *bindConn) giveBack(p *part, cause error) {
	if !b.c.queue.pushFront(p) {
		if err := p.ctx.Err(); err != nil {
			cause = err
		}
		p.res <- partResult{p: p, err: cause}
	}
}

// onDone returns the completion of part p's submit_sm on this bind.
func (b *bindConn) onDone(p *part) func(PDU, error) {
	return func(resp PDU, err error) {
		if err == nil {
			switch resp.Status {
			case StatusOK:
				b.c.limiter.accepted()
				b.unthrottled()
				b.carried.Store(true)
			case StatusThrottled:
				b.c.stats.throttled.Add(1)
				b.throttled(p.sentAt)
				if b.c.limiter.throttled(p.sentAt) {
					b.c.log.Debug("smpp throttled; slowing down", "rate", b.c.limiter.current())
				}
			case StatusMessageQueueFull:
				b.c.stats.queueFull.Add(1)
			}
		}
		p.res <- partResult{p: p, resp: resp, err: err}
	}
}

// pause returns how long the bind must still wait, 0 when it may send.
func (b *bindConn) pause() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pausedUntil.IsZero() {
		return 0
	}
	d := time.Until(b.pausedUntil)
	if d <= 0 {
		b.pausedUntil = time.Time{}
		return 0
	}
	return d
}

// throttled pauses the bind after a throttle answer to a part sent at
// sentAt. Answers to parts sent before the current pause began are the
// same overload and do not lengthen it.
func (b *bindConn) throttled(sentAt time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if sentAt.Before(b.pauseStart) {
		return
	}
	d := b.c.cfg.ThrottlePause << min(b.streak, maxPauseDoublings)
	b.streak++
	now := time.Now()
	b.pauseStart, b.pausedUntil = now, now.Add(d)
}

func (b *bindConn) unthrottled() {
	b.mu.Lock()
	b.streak = 0
	b.mu.Unlock()
}
