package smpp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"

	"github.com/ternsms/tern/carriers"
)

// Client is an ESME bound to one carrier's SMSC: Binds sessions that
// submit (transceivers, or transmitters beside Receivers receivers), each
// with its own window, sharing the carrier's TPS cap. Run keeps the binds
// up; Submit sends through whichever bind is free; receipts and inbound
// messages go to the handlers given as options. It implements
// carriers.Carrier.
type Client struct {
	cfg  ClientConfig
	opts clientOptions
	log  *slog.Logger

	ref     atomic.Uint32 // concatenation reference
	running atomic.Bool
	queue   *sendQueue
	limiter *rateLimiter
	inbound *reassembler
	stats   clientCounters

	mu      sync.Mutex
	active  int           // Submit calls under way
	drained chan struct{} // closed when closing and active reaches 0
	runDone chan struct{} // closed when the running Run returns; nil while none
	errs    []error       // unbind failures for Close to report

	closing   chan struct{} // closed by Close: no new submits
	unbinding chan struct{} // closed by Close once drained: unbind now
	abort     atomic.Bool   // Close gave up draining: close without unbind
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
	o := clientOptions{workers: 128}
	for _, opt := range opts {
		opt.applyToClient(&o)
	}
	o.workers = max(o.workers, 1)
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.dial == nil {
		o.dial = func(ctx context.Context, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: cfg.RequestTimeout}
			if cfg.TLS != nil {
				return (&tls.Dialer{NetDialer: &d, Config: cfg.TLS}).DialContext(ctx, "tcp", addr)
			}
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	c := &Client{
		cfg:       cfg,
		opts:      o,
		log:       o.log.With("carrier", cfg.Name, "addr", cfg.Addr),
		queue:     newSendQueue(),
		limiter:   newRateLimiter(cfg.TPS),
		inbound:   newReassembler(cfg.InboundPending, cfg.InboundTimeout),
		drained:   make(chan struct{}),
		closing:   make(chan struct{}),
		unbinding: make(chan struct{}),
		closed:    make(chan struct{}),
	}
	c.ref.Store(rand.Uint32())
	return c, nil
}

// Name returns the carrier name from the config.
func (c *Client) Name() string { return c.cfg.Name }

// Run connects and binds every session of the config and keeps them
// bound, each reconnecting on its own with jittered exponential backoff,
// until ctx ends or Close is called. It then returns nil; when ctx ends
// each bind unbinds first, waiting at most RequestTimeout.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer c.running.Store(false)
	c.mu.Lock()
	if c.isClosing() {
		c.mu.Unlock()
		return nil
	}
	done := make(chan struct{})
	c.runDone = done
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.runDone = nil
		c.mu.Unlock()
		close(done)
	}()

	sweepCtx, stopSweep := context.WithCancel(ctx)
	var sweep sync.WaitGroup
	sweep.Go(func() { c.sweepInbound(sweepCtx) })
	defer sweep.Wait()
	defer stopSweep()

	var binds sync.WaitGroup
	for i, bt := range c.cfg.sessions() {
		binds.Go(func() { c.keepBound(ctx, i, bt) })
	}
	binds.Wait()
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

// stopping reports whether binds should end: Close is unbinding them.
func (c *Client) stopping() bool {
	select {
	case <-c.unbinding:
		return true
	default:
		return false
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
// be answered, unbinds every session and makes Run return. Receipts keep
// flowing to the handler until the unbinds. When ctx ends first, the
// sessions are dropped without unbind and submits still on the wire end
// in doubt. Calling Close again waits for the first call to finish.
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
		c.abort.Store(true)
	}
	c.mu.Lock()
	close(c.unbinding)
	runDone := c.runDone
	c.mu.Unlock()
	if runDone != nil {
		select {
		case <-runDone:
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("close %s: unbind: %w", c.cfg.Name, ctx.Err())
			}
		}
	}
	c.mu.Lock()
	errs := c.errs
	c.mu.Unlock()
	return errors.Join(append([]error{err}, errs...)...)
}

// noteUnbindError keeps an unbind failure for Close to report.
func (c *Client) noteUnbindError(err error) {
	if err == nil || !c.isClosing() {
		return
	}
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.mu.Unlock()
}

// errNotSent reports whether err says a request never left: the
// connection died before it was written.
func errNotSent(err error) bool {
	return errors.Is(err, ErrConnClosed) && !errors.Is(err, carriers.ErrInDoubt)
}
