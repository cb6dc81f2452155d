package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ternsms/tern/api/frontdoor"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/pipeline"
)

// Sender takes messages into the pipeline and answers after Kafka
// acknowledged them: pipeline.Intake.
type Sender interface {
	Send(ctx context.Context, reqs []pipeline.Request, out []pipeline.Result) error
}

// Server is one instance's SMPP gateway: the listener and its sessions,
// the intake batches, the delivery of receipts and replies to the
// accounts bound here, and this instance's share of the consumer that
// queues them.
type Server struct {
	cfg     Config
	store   *Store
	sender  Sender
	reports Reports   // nil refuses query_sm
	cancels Canceler  // nil refuses cancel_sm
	ids     IDChecker // with reports or cancels
	log     *slog.Logger
	reg     prometheus.Registerer
	metrics *metrics
	dead    DeadLetters // nil: the feed writes its own

	ln   net.Listener
	addr string
	// tlsLn serves SMPP over TLS on tlsListen when WithTLS set tlsConfig.
	tlsLn     net.Listener
	tlsAddr   string
	tlsListen string
	tlsConfig *tls.Config
	// perClient bounds the connections of one client over both listeners.
	perClient int
	limiter   *frontdoor.Limiter
	// ctx ends when Close has drained everything; loops run under it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // accept, sessions, loops
	conns  atomic.Int64

	mu       sync.Mutex
	started  bool
	closed   bool
	accounts map[string]*accountState
	sessions map[*session]struct{}

	// jobs feed the intake workers; closing stops new ones.
	jobMu    sync.RWMutex
	closing  bool
	jobs     chan *job
	intakeWG sync.WaitGroup

	// records carries receipt records whose write failed to the
	// writer that retries them (records.go); it runs until recordsStop.
	records     chan []submitRecord
	recordsStop context.CancelFunc
	recordsDone chan struct{}

	verified  sync.Map      // system_id -> proof of the last password that matched
	hashing   chan struct{} // bounds password hashing running at once
	dummy     string        // a hash no password matches, at the store's work factor
	upgrading sync.Map      // system_id -> true while its hash is being upgraded
	// addrBackoff and idBackoff refuse binds after failed ones, per
	// client address and per system_id.
	addrBackoff, idBackoff *backoff

	closeOnce sync.Once
}

// New checks cfg and returns a server that takes messages into sender
// and keeps its state in store. It does not listen: call Start.
func New(cfg Config, store *Store, sender Sender, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if store == nil || sender == nil {
		return nil, errors.New("smpp gateway: store and sender are required")
	}
	s := &Server{
		cfg:      cfg.WithDefaults(),
		store:    store,
		sender:   sender,
		accounts: make(map[string]*accountState),
		sessions: make(map[*session]struct{}),

		perClient: defaultConnectionsPerClient,
	}
	for _, o := range opts {
		o.apply(s)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.tlsConfig != nil && s.tlsListen == "" {
		return nil, errors.New("smpp gateway: TLS listen address required")
	}
	s.metrics = newMetrics(s.reg)
	s.hashing = make(chan struct{}, s.cfg.HashWorkers)
	s.dummy = dummyHash(store.iterations)
	s.addrBackoff = newBackoff(s.cfg.BindBackoff, s.cfg.MaxBindBackoff)
	s.idBackoff = newBackoff(s.cfg.BindBackoff, s.cfg.MaxBindBackoff)
	s.limiter = frontdoor.NewLimiter(frontdoor.Limits{PerClient: s.perClient},
		frontdoor.WithRefused(func(net.Addr, error) { s.metrics.refused.Inc() }))
	s.jobs = make(chan *job, s.cfg.IntakeQueue)
	s.records = make(chan []submitRecord, recordBacklog)
	s.recordsDone = make(chan struct{})
	return s, nil
}

// Start listens on Config.Addr and returns once listening. The server
// runs until Close; ctx bounds only the start.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.started:
		return ErrStarted
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smpp gateway listen: %w", err)
	}
	if s.tlsConfig != nil {
		tln, err := lc.Listen(ctx, "tcp", s.tlsListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("smpp gateway listen for TLS: %w", err)
		}
		s.tlsLn, s.tlsAddr = s.limiter.Listener(tln), tln.Addr().String()
	}
	s.ln, s.addr, s.started = s.limiter.Listener(ln), ln.Addr().String(), true
	s.ctx, s.cancel = context.WithCancel(context.Background())
	var rctx context.Context
	rctx, s.recordsStop = context.WithCancel(context.Background())
	go s.recordWriter(rctx)
	for range s.cfg.IntakeWorkers {
		s.intakeWG.Go(s.intakeWorker)
	}
	s.wg.Go(func() { s.feed(s.ctx) })
	s.wg.Go(func() { s.listen(s.ctx) })
	s.wg.Go(func() { s.heartbeatLoop(s.ctx) })
	s.wg.Go(func() { s.janitor(s.ctx) })
	s.wg.Go(func() { s.accept(s.ln, nil) })
	if s.tlsLn != nil {
		s.wg.Go(func() { s.accept(s.tlsLn, s.tlsConfig) })
	}
	s.log.Info("smpp gateway listening", "addr", s.addr, "tls_addr", s.tlsAddr, "instance", s.cfg.InstanceID)
	return nil
}

// TLSAddr returns the address the server listens on for SMPP over TLS,
// "" before Start or without WithTLS.
func (s *Server) TLSAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tlsAddr
}

// defaultConnectionsPerClient bounds the connections one client may have
// open unless WithConnectionsPerClient says otherwise: ten accounts' worth
// of binds at their default bind limit.
const defaultConnectionsPerClient = 100

// WithTLS has the gateway serve SMPP over TLS with cfg on a second
// address, beside the cleartext one; the connections of both count
// against the same limits. A connection that has not finished its
// handshake within the bind timeout is closed.
func WithTLS(addr string, cfg *tls.Config) Option {
	return optionFunc(func(s *Server) { s.tlsListen, s.tlsConfig = addr, cfg })
}

// WithConnectionsPerClient bounds the connections one client (an IPv4
// address, or an IPv6 /64) may have open over both listeners; more are
// closed at once and counted in tern_smpp_connections_refused_total.
// Default 100; 0 sets no bound.
func WithConnectionsPerClient(n int) Option {
	return optionFunc(func(s *Server) { s.perClient = max(n, 0) })
}

// Addr returns the address the server listens on, "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Close stops accepting connections, answers the submits it holds once
// the intake has them, unbinds every session (each waiting at most for
// ctx), and stops. Receipts claimed and not acknowledged go out again on
// another bind after their lease. Close is idempotent.
func (s *Server) Close(ctx context.Context) error {
	var err error
	s.closeOnce.Do(func() { err = s.close(ctx) })
	return err
}

func (s *Server) close(ctx context.Context) error {
	s.mu.Lock()
	started := s.started
	s.closed = true
	s.mu.Unlock()
	if !started {
		return nil
	}
	s.ln.Close()
	if s.tlsLn != nil {
		s.tlsLn.Close()
	}
	// Submits already taken are answered after the intake has them.
	s.jobMu.Lock()
	s.closing = true
	close(s.jobs)
	s.jobMu.Unlock()
	var errs []error
	intakeDone := waitCtx(ctx, &s.intakeWG)
	if !intakeDone {
		errs = append(errs, fmt.Errorf("smpp gateway: intake batches still running: %w", ctx.Err()))
	}
	s.mu.Lock()
	sessions := make([]*session, 0, len(s.sessions))
	for h := range s.sessions {
		sessions = append(sessions, h)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, h := range sessions {
		wg.Go(func() {
			if h.ss.BindType() != 0 {
				h.ss.Unbind(ctx)
			}
			h.ss.Close()
		})
	}
	wg.Wait()
	if err := s.stopRecords(ctx, intakeDone); err != nil {
		errs = append(errs, err)
	}
	s.cancel()
	s.wg.Wait()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.store.unregisterInstance(cctx, s.cfg.InstanceID); err != nil {
		errs = append(errs, err)
	}
	s.log.Info("smpp gateway stopped")
	return errors.Join(errs...)
}

// waitCtx waits for wg, or for ctx; it reports whether wg finished.
func waitCtx(ctx context.Context, wg *sync.WaitGroup) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// accept serves ln's connections, over TLS with tlsConfig if it is not
// nil, until ln is closed.
func (s *Server) accept(ln net.Listener, tlsConfig *tls.Config) {
	delay := 5 * time.Millisecond
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait, do not spin.
			s.log.Error("smpp gateway accept", "err", err)
			t := time.NewTimer(delay)
			select {
			case <-s.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			delay = min(2*delay, time.Second)
			continue
		}
		delay = 5 * time.Millisecond
		if s.conns.Load() >= int64(s.cfg.MaxConnections) {
			s.metrics.refused.Inc()
			s.log.Warn("smpp connection refused: too many open", "remote", nc.RemoteAddr().String(), "max", s.cfg.MaxConnections)
			nc.Close()
			continue
		}
		s.conns.Add(1)
		s.wg.Go(func() { s.serve(nc, tlsConfig) })
	}
}

// serve runs one connection's session until it ends, after a TLS
// handshake with tlsConfig if it is not nil.
func (s *Server) serve(nc net.Conn, tlsConfig *tls.Config) {
	defer s.conns.Add(-1)
	s.metrics.connections.Inc()
	defer s.metrics.connections.Dec()
	if tlsConfig != nil {
		tc := tls.Server(nc, tlsConfig)
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.BindTimeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			s.log.Info("smpp tls handshake", "remote", nc.RemoteAddr().String(), "err", err)
			nc.Close()
			return
		}
		nc = tc
	}
	h := &session{srv: s}
	h.ss = smpp.NewServerSession(nc, h,
		smpp.WithLogger(s.log),
		smpp.WithSystemID(s.cfg.SystemID),
		smpp.WithMaxPDULength(s.cfg.MaxPDULength),
		smpp.WithBindTimeout(s.cfg.BindTimeout),
		smpp.WithIdleTimeout(s.cfg.IdleTimeout),
		smpp.WithEnquireLink(s.cfg.EnquireLink),
		smpp.WithMaxPending(s.cfg.MaxPending),
		smpp.WithWindow(s.cfg.Window),
		smpp.WithRequestTimeout(s.cfg.RequestTimeout),
	)
	s.mu.Lock()
	s.sessions[h] = struct{}{}
	s.mu.Unlock()
	err := h.ss.Serve(s.ctx)
	s.mu.Lock()
	delete(s.sessions, h)
	s.mu.Unlock()
	h.ended()
	s.log.Info("smpp session ended", "remote", nc.RemoteAddr().String(), "system_id", h.ss.SystemID(), "err", err)
}
