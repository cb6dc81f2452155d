package smpp

import (
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
