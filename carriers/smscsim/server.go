package smscsim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// Server is a running simulator SMSC.
type Server struct {
	cfg Config
	log *slog.Logger

	ln     net.Listener
	addr   string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	startOnce sync.Once
	started   bool
	closed    bool
	closeOnce sync.Once

	timers   *scheduler // delayed answers and receipts that fall due
	receipts chan *receiptJob

	nextID atomic.Uint64

	faultMu     sync.Mutex // serializes fault changes
	faults      atomic.Pointer[faults]
	bucket      tokenBucket
	rand        *lockedRand
	dropChanged chan struct{}

	mu        sync.Mutex
	sessions  map[*session]struct{}
	rr        int
	partials  map[partKey]*partial
	counts    map[uint64]uint32
	total     int
	stats     Stats
	maxFlight int
	msgs      map[uint64]*receiptJob // by id, for query_sm, cancel_sm, replace_sm
	msgOrder  []uint64               // ring of the ids in msgs, oldest first
	msgNext   int
}

// New checks cfg and returns a server. It does not listen: call Start.
func New(cfg Config, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:         cfg.withDefaults(),
		timers:      newScheduler(),
		receipts:    make(chan *receiptJob, 4096),
		sessions:    make(map[*session]struct{}),
		partials:    make(map[partKey]*partial),
		counts:      make(map[uint64]uint32),
		msgs:        make(map[uint64]*receiptJob),
		rand:        newLockedRand(cfg.Seed),
		dropChanged: make(chan struct{}, 1),
	}
	c := s.cfg
	s.faults.Store(&faults{
		latency:       c.Latency,
		latencyP99:    c.LatencyP99,
		throttleRate:  c.ThrottleRate,
		throttleBurst: c.ThrottleBurst,
		errorRatio:    c.ErrorRatio,
		errorStatus:   c.ErrorStatus,
		silent:        c.Silent,
		dropEvery:     c.DropEvery,
	})
	s.bucket.set(c.ThrottleRate, c.ThrottleBurst)
	for _, o := range opts {
		o.apply(s)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	// Message ids continue from the clock unless FirstID says where they
	// start, so a restarted simulator does not hand out ids a client saw
	// before.
	if c.FirstID != 0 {
		s.nextID.Store(c.FirstID - 1)
	} else {
		s.nextID.Store(uint64(time.Now().UnixNano()))
	}
	return s, nil
}

// Start listens on Config.Addr and returns once listening. The server
// runs until ctx ends or Close is called.
func (s *Server) Start(ctx context.Context) error {
	err := ErrStarted
	s.startOnce.Do(func() { err = s.start(ctx) })
	return err
}

func (s *Server) start(ctx context.Context) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return fmt.Errorf("smsc simulator start after close: %w", net.ErrClosed)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smsc simulator listen: %w", err)
	}
	s.mu.Lock()
	s.ln, s.addr, s.started = ln, ln.Addr().String(), true
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Unlock()
	context.AfterFunc(s.ctx, func() { ln.Close() })
	s.wg.Go(func() { s.timers.run(s.ctx) })
	s.wg.Go(s.sendReceipts)
	s.wg.Go(s.sweepPartials)
	s.wg.Go(s.dropLoop)
	s.wg.Go(s.accept)
	s.log.Info("smsc simulator listening", "addr", s.addr)
	return nil
}

// Addr returns the address the server listens on, "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Close stops listening, drops every connection without unbinding (as a
// crashed SMSC would) and forgets receipts not yet sent. It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		started := s.started
		s.closed = true
		s.mu.Unlock()
		if !started {
			return
		}
		s.cancel()
		s.wg.Wait()
	})
	return nil
}

func (s *Server) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				s.log.Error("smsc simulator accept", "err", err)
			}
			return
		}
		s.wg.Go(func() { s.serve(nc) })
	}
}

func (s *Server) serve(c net.Conn) {
	nc := &faultConn{Conn: c, silent: func() bool { return s.faults.Load().silent }}
	h := &session{srv: s, nc: nc}
	h.ss = smpp.NewServerSession(nc, h,
		smpp.WithLogger(s.log),
		smpp.WithMaxPending(s.cfg.MaxPending),
		smpp.WithSystemID("smscsim"),
	)
	s.mu.Lock()
	s.sessions[h] = struct{}{}
	s.stats.Sessions++
	s.mu.Unlock()
	err := h.ss.Serve(s.ctx)
	s.mu.Lock()
	delete(s.sessions, h)
	s.stats.Sessions--
	if err == nil {
		s.stats.Unbinds++
	}
	s.mu.Unlock()
	s.log.Debug("smsc simulator session ended", "system_id", h.ss.SystemID(), "err", err)
}

// newID returns the next message id, a counter continuing from
// Config.FirstID or the clock.
func (s *Server) newID() uint64 { return s.nextID.Add(1) }

// formatID writes id as format says: "decimal", or hex as many SMSCs do.
func formatID(id uint64, format string) string {
	if format == "decimal" {
		return strconv.FormatUint(id, 10)
	}
	return strconv.FormatUint(id, 16)
}

// parseID reads an id a client sends back (query_sm, cancel_sm,
// replace_sm) in the IDFormat the simulator writes.
func (s *Server) parseID(id string) (uint64, bool) {
	base := 16
	if s.cfg.IDFormat == "decimal" {
		base = 10
	}
	v, err := strconv.ParseUint(id, base, 64)
	return v, err == nil
}

// receiver picks a session bound to receive for systemID, round robin.
func (s *Server) receiver(systemID string) *smpp.ServerSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*smpp.ServerSession
	for h := range s.sessions {
		if h.ss.BindType().CanReceive() && h.ss.SystemID() == systemID {
			found = append(found, h.ss)
		}
	}
	if len(found) == 0 {
		return nil
	}
	s.rr++
	return found[s.rr%len(found)]
}
