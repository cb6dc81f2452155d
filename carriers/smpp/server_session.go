package smpp

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ServerHandler is what an SMSC (the simulator, or tern's gateway for its
// customers) plugs into a ServerSession.
type ServerHandler interface {
	// Bind decides a bind request; StatusOK accepts it. It runs on the
	// session's reader before anything else can happen on the session, so
	// it may block (to check credentials, say) under ctx.
	Bind(ctx context.Context, s *ServerSession, b *Bind) CommandStatus
	// Request receives every other request a bound ESME may send
	// (submit_sm, submit_multi, data_sm, query_sm, cancel_sm and
	// replace_sm), on the session's reader goroutine. It must not block:
	// it answers with s.Respond exactly once, now or later, from any
	// goroutine. A handler that does not serve a command answers it with
	// StatusInvalidCmdID.
	Request(s *ServerSession, p PDU)
}

// ServerSession is the SMSC side of one ESME connection. It keeps the bind
// state, answers enquire_link and unbind, refuses what the bind state does
// not allow, throttles an ESME that holds too many requests unanswered,
// sends requests (deliver_sm, data_sm) to the ESME under a window, and
// closes connections that do not bind in time (WithBindTimeout) or go
// quiet (WithIdleTimeout).
type ServerSession struct {
	c    *conn
	h    ServerHandler
	opts sessionOptions
	log  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	bindType BindType
	systemID string
	bound    atomic.Bool
	unbound  atomic.Bool // the session ended by unbind, from either side

	unanswered atomic.Int64
}

// NewServerSession wraps an accepted connection. Call Serve to run it.
func NewServerSession(nc net.Conn, h ServerHandler, opts ...SessionOption) *ServerSession {
	o := sessionOptions{
		window:         100,
		maxPending:     1000,
		requestTimeout: 10 * time.Second,
		systemID:       "tern",
		bindTimeout:    DefaultBindTimeout,
		idleTimeout:    DefaultIdleTimeout,
	}
	for _, opt := range opts {
		opt.applyToSession(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	log := o.log.With("remote", nc.RemoteAddr().String())
	s := &ServerSession{h: h, opts: o, log: log}
	s.c = newConn(nc, connConfig{
		window:         o.window,
		requestTimeout: o.requestTimeout,
		maxPDU:         o.maxPDU,
		idleTimeout:    max(o.idleTimeout, 0),
	}, log)
	s.c.onRequest = s.onRequest
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Serve runs the session until the connection ends or ctx does, and
// returns why it ended: nil after an unbind from either side. It closes
// the connection.
func (s *ServerSession) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.c.close(ctx.Err()) })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer s.cancel()
	// The session's context ends with the connection, even while the
	// reader is busy in a handler.
	wg.Go(func() {
		select {
		case <-s.c.done:
			s.cancel()
		case <-s.ctx.Done():
		}
	})
	if s.opts.enquireLink > 0 {
		wg.Go(func() { s.c.keepalive(s.ctx, s.opts.enquireLink) })
	}
	if d := s.opts.bindTimeout; d > 0 {
		t := time.AfterFunc(d, func() {
			if !s.bound.Load() && !s.unbound.Load() {
				s.log.Info("smpp session closed: no bind", "after", d)
				s.c.close(fmt.Errorf("after %v: %w", d, ErrBindTimeout))
			}
		})
		defer t.Stop()
	}
	err := s.c.serve()
	s.cancel()
	if s.unbound.Load() {
		return nil
	}
	return err
}

// Context is canceled when the session ends.
func (s *ServerSession) Context() context.Context { return s.ctx }

// Done is closed when the connection has ended.
func (s *ServerSession) Done() <-chan struct{} { return s.c.done }

// RemoteAddr returns the ESME's address.
func (s *ServerSession) RemoteAddr() net.Addr { return s.c.nc.RemoteAddr() }

// SystemID returns the system_id the ESME bound with, "" before bind.
func (s *ServerSession) SystemID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.systemID
}

// BindType returns how the ESME is bound, 0 before bind.
func (s *ServerSession) BindType() BindType {
	if !s.bound.Load() {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bindType
}

// Unanswered returns how many requests passed to the handler wait for
// Respond.
func (s *ServerSession) Unanswered() int { return int(s.unanswered.Load()) }

// Respond answers req, a request passed to ServerHandler.Request, with
// status and body; a nil body sends the header alone (the usual answer
// with a non-zero status). Call it exactly once per request.
func (s *ServerSession) Respond(req PDU, status CommandStatus, body Body) error {
	s.unanswered.Add(-1)
	return s.c.respond(Header{ID: req.ID.Resp(), Status: status, Seq: req.Seq}, body)
}

// Send sends a request to the ESME and waits for its response. deliver_sm
// needs a receiver or transceiver bind. Errors are about the transport,
// as for SendAsync; the response may carry a non-zero command_status.
func (s *ServerSession) Send(ctx context.Context, body Body) (PDU, error) {
	if err := s.canSend(body); err != nil {
		return PDU{}, err
	}
	return s.c.send(ctx, body)
}

// SendAsync sends a request to the ESME without waiting for its answer:
// it blocks only for a window slot (bounded by ctx) and then calls done
// once, from a session goroutine, with the response or the transport
// error (carriers.ErrInDoubt when the request was written but not
// answered). done must not block. When SendAsync returns an error, done
// is not called and nothing was sent.
func (s *ServerSession) SendAsync(ctx context.Context, body Body, done func(PDU, error)) error {
	if err := s.canSend(body); err != nil {
		return err
	}
	_, err := s.c.start(ctx, body, done)
	return err
}

func (s *ServerSession) canSend(body Body) error {
	switch id := body.CommandID(); id {
	case CmdDeliverSM, CmdDataSM, CmdAlertNotification:
		if !s.BindType().CanReceive() {
			return fmt.Errorf("%s to %s bound as %s: %w", id, s.SystemID(), s.BindType(), ErrNotBound)
		}
	}
	return nil
}

// Unbind asks the ESME to end the session, waits for its answer (bounded
// by ctx) and closes the connection.
func (s *ServerSession) Unbind(ctx context.Context) error {
	s.unbound.Store(true)
	_, err := s.c.send(ctx, &Unbind{})
	s.c.close(ErrConnClosed)
	return err
}

// Close drops the connection without unbinding.
func (s *ServerSession) Close() error {
	s.c.close(ErrConnClosed)
	return nil
}

// onRequest runs on the reader goroutine.
func (s *ServerSession) onRequest(p PDU) {
	switch p.ID {
	case CmdBindReceiver, CmdBindTransmitter, CmdBindTransceiver:
		s.onBind(p)
	case CmdUnbind:
		s.unbound.Store(true)
		_ = s.c.respondAndClose(Header{ID: CmdUnbindResp, Seq: p.Seq}, &UnbindResp{})
	case CmdSubmitSM, CmdSubmitMulti, CmdDataSM, CmdQuerySM, CmdCancelSM, CmdReplaceSM:
		bt := s.BindType()
		switch {
		case !bt.CanSubmit():
			s.log.Info("smpp request refused: session not bound to submit", "command", p.ID, "seq", p.Seq, "bind_type", bt)
			s.refuse(p, StatusInvalidBindStatus)
		case s.unanswered.Load() >= int64(s.opts.maxPending):
			s.refuse(p, StatusThrottled)
		default:
			s.unanswered.Add(1)
			s.h.Request(s, p)
		}
	case CmdOutbind, CmdAlertNotification:
		// Sent by SMSCs only, and never answered.
		s.log.Debug("smpp request from an esme ignored", "command", p.ID, "seq", p.Seq)
	default:
		s.log.Info("smpp request not served", "command", p.ID, "seq", p.Seq)
		_ = s.c.respond(Header{ID: CmdGenericNack, Status: StatusInvalidCmdID, Seq: p.Seq}, nil)
	}
}

func (s *ServerSession) refuse(p PDU, st CommandStatus) {
	_ = s.c.respond(Header{ID: p.ID.Resp(), Status: st, Seq: p.Seq}, nil)
}

func (s *ServerSession) onBind(p PDU) {
	b := p.Body.(*Bind)
	if s.bound.Load() {
		s.refuse(p, StatusAlreadyBound)
		return
	}
	st := s.h.Bind(s.ctx, s, b)
	if st != StatusOK {
		s.log.Info("smpp bind refused", "system_id", b.SystemID, "status", st)
		s.refuse(p, st)
		return
	}
	s.mu.Lock()
	s.bindType, s.systemID = b.Type, b.SystemID
	s.mu.Unlock()
	resp := &BindResp{Type: b.Type, SystemID: s.opts.systemID}
	resp.TLVs.SetUint8(TagSCInterfaceVersion, InterfaceVersion)
	if err := s.c.respond(Header{Seq: p.Seq}, resp); err != nil {
		return
	}
	// Marked bound only once the bind_resp is queued, so nothing sent on
	// this session can overtake it.
	s.bound.Store(true)
	s.log.Info("smpp bound", "system_id", b.SystemID, "type", b.Type)
}
