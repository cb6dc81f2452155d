package smpp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ternsms/tern/carriers"
)

// Reconnect backoff bounds.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// Client is an ESME bound as transceiver to one carrier SMSC. Run keeps
// the bind up; Submit sends through it; receipts and inbound messages go
// to the handlers given as options. It implements carriers.Carrier.
type Client struct {
	cfg  ClientConfig
	opts clientOptions
	log  *slog.Logger

	ref     atomic.Uint32 // concatenation reference
	running atomic.Bool

	mu      sync.Mutex
	cur     *conn         // the bound connection, nil while none
	ready   chan struct{} // closed while cur != nil
	active  int           // Submit calls under way
	drained chan struct{} // closed when closing and active reaches 0

	closing   chan struct{}
	closeOnce sync.Once
	closed    chan struct{}
}

var _ carriers.Carrier = (*Client)(nil)

// NewClient checks cfg and returns a client. It does not connect: call Run.
func NewClient(cfg ClientConfig, opts ...ClientOption) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	o := clientOptions{workers: 32}
	for _, opt := range opts {
		opt.applyToClient(&o)
	}
	o.workers = max(o.workers, 1)
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		cfg:     cfg,
		opts:    o,
		log:     o.log.With("carrier", cfg.Name, "addr", cfg.Addr),
		ready:   make(chan struct{}),
		drained: make(chan struct{}),
		closing: make(chan struct{}),
		closed:  make(chan struct{}),
	}
	c.ref.Store(rand.Uint32())
	return c, nil
}

// Name returns the carrier name from the config.
func (c *Client) Name() string { return c.cfg.Name }

// Run connects, binds as transceiver and keeps the bind alive with
// enquire_link, reconnecting with backoff whenever the connection is lost,
// until ctx ends or Close is called. It then returns nil; when ctx ends
// it unbinds first, waiting at most RequestTimeout.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer c.running.Store(false)
	backoff := minBackoff
	for {
		if ctx.Err() != nil || c.isClosing() {
			return nil
		}
		bound, err := c.runConn(ctx)
		if ctx.Err() != nil || c.isClosing() {
			return nil
		}
		if bound {
			backoff = minBackoff
		}
		c.log.Warn("smpp session lost; reconnecting", "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-c.closing:
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// runConn runs one connection: dial, bind, keepalive. It reports whether
// the bind succeeded and why the connection ended.
func (c *Client) runConn(ctx context.Context) (bool, error) {
	d := net.Dialer{Timeout: c.cfg.RequestTimeout}
	nc, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return false, fmt.Errorf("dial %s: %w", c.cfg.Name, err)
	}
	cn := newConn(nc, connConfig{window: c.cfg.Window, requestTimeout: c.cfg.RequestTimeout, maxPDU: c.opts.maxPDU}, c.log)
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
		Type:             BindTransceiver,
		SystemID:         c.cfg.SystemID,
		Password:         c.cfg.Password,
		SystemType:       c.cfg.SystemType,
		InterfaceVersion: InterfaceVersion,
	})
	cancel()
	if err != nil {
		return false, fmt.Errorf("bind_transceiver to %s: %w", c.cfg.Name, err)
	}
	if resp.Status != StatusOK {
		return false, fmt.Errorf("bind_transceiver to %s: %w", c.cfg.Name, resp.Status)
	}
	c.log.Info("smpp bound", "smsc_system_id", resp.Body.(*BindResp).SystemID)
	c.setConn(cn)
	defer c.clearConn(cn)

	kctx, stopKeepalive := context.WithCancel(ctx)
	defer stopKeepalive()
	wg.Go(func() { cn.keepalive(kctx, c.cfg.EnquireLink) })
	select {
	case <-ctx.Done():
		c.clearConn(cn)
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.RequestTimeout)
		defer cancel()
		return true, c.unbind(uctx, cn)
	case <-c.closing:
		// Close drains, unbinds and closes this connection, unless it
		// found none because the bind was still under way.
		select {
		case <-cn.done:
		case <-c.closed:
			if !cn.isClosed() {
				c.clearConn(cn)
				uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.RequestTimeout)
				defer cancel()
				_ = c.unbind(uctx, cn)
			}
		}
		return true, nil
	case <-cn.done:
		return true, cn.Err()
	}
}

// unbind sends unbind, waits for its answer (bounded by ctx) and closes
// the connection.
func (c *Client) unbind(ctx context.Context, cn *conn) error {
	defer cn.close(ErrConnClosed)
	resp, err := cn.send(ctx, &Unbind{})
	if err != nil {
		return fmt.Errorf("unbind from %s: %w", c.cfg.Name, err)
	}
	if resp.Status != StatusOK {
		return fmt.Errorf("unbind from %s: %w", c.cfg.Name, resp.Status)
	}
	c.log.Info("smpp unbound")
	return nil
}

func (c *Client) isClosing() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

func (c *Client) setConn(cn *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur = cn
	close(c.ready)
}

func (c *Client) clearConn(cn *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == cn {
		c.cur = nil
		c.ready = make(chan struct{})
	}
}

// bound waits for a bound connection, bounded by ctx.
func (c *Client) bound(ctx context.Context) (*conn, error) {
	for {
		c.mu.Lock()
		cn, ready := c.cur, c.ready
		c.mu.Unlock()
		if cn != nil {
			if !cn.isClosed() {
				return cn, nil
			}
			c.clearConn(cn)
			continue
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("no bind to %s: %w: %w", c.cfg.Name, carriers.ErrUnavailable, ctx.Err())
		case <-c.closing:
			return nil, carriers.ErrClosed
		}
	}
}

// enter registers a Submit call, refusing it once Close has begun.
func (c *Client) enter() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosing() {
		return carriers.ErrClosed
	}
	c.active++
	return nil
}

func (c *Client) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active--
	if c.active == 0 && c.isClosing() {
		close(c.drained)
	}
}

// Close stops new submits, waits (bounded by ctx) for those under way to
// be answered, unbinds and closes the connection, and makes Run return.
// Receipts keep flowing to the handler until the unbind. Calling Close
// again waits for the first call to finish.
func (c *Client) Close(ctx context.Context) error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		c.mu.Lock()
		close(c.closing)
		if c.active == 0 {
			close(c.drained)
		}
		c.mu.Unlock()
	})
	if !first {
		select {
		case <-c.closed:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer close(c.closed)
	var err error
	select {
	case <-c.drained:
	case <-ctx.Done():
		err = fmt.Errorf("close %s: submits still waiting: %w", c.cfg.Name, ctx.Err())
	}
	c.mu.Lock()
	cn := c.cur
	c.mu.Unlock()
	if cn == nil {
		return err
	}
	c.clearConn(cn)
	if err != nil {
		cn.close(ErrConnClosed)
		return err
	}
	return c.unbind(ctx, cn)
}

// errNotSent reports whether err says a request never left: the
// connection died before it was written.
func errNotSent(err error) bool {
	return errors.Is(err, ErrConnClosed) && !errors.Is(err, carriers.ErrInDoubt)
}
