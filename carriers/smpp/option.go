package smpp

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/ternsms/tern/carriers"
)

// ClientOption changes how a Client behaves.
type ClientOption interface {
	applyToClient(*clientOptions)
}

// SessionOption changes how a ServerSession behaves.
type SessionOption interface {
	applyToSession(*sessionOptions)
}

// Option applies to both clients and server sessions.
type Option interface {
	ClientOption
	SessionOption
}

type clientOptions struct {
	log       *slog.Logger
	onReceipt func(context.Context, carriers.Receipt) error
	onInbound func(context.Context, carriers.Inbound) error
	maxPDU    int
	workers   int
	dial      func(context.Context, string) (net.Conn, error)
}

type sessionOptions struct {
	log            *slog.Logger
	window         int
	maxPending     int
	requestTimeout time.Duration
	enquireLink    time.Duration
	systemID       string
	maxPDU         int
	bindTimeout    time.Duration
	idleTimeout    time.Duration
}

type loggerOption struct{ log *slog.Logger }

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *slog.Logger) Option { return loggerOption{l} }

func (o loggerOption) applyToClient(c *clientOptions)   { c.log = o.log }
func (o loggerOption) applyToSession(s *sessionOptions) { s.log = o.log }

type maxPDUOption int

// WithMaxPDULength bounds the frames a connection accepts; longer ones
// close it. The default is DefaultMaxPDULength.
func WithMaxPDULength(n int) Option { return maxPDUOption(n) }

func (o maxPDUOption) applyToClient(c *clientOptions)   { c.maxPDU = int(o) }
func (o maxPDUOption) applyToSession(s *sessionOptions) { s.maxPDU = int(o) }

type clientOptionFunc func(*clientOptions)

func (f clientOptionFunc) applyToClient(c *clientOptions) { f(c) }

// WithReceiptHandler sets the function that receives delivery receipts.
// It is called once per receipt deliver_sm, before the receipt is
// acknowledged; an error makes the client answer with ESME_RX_T_APPN so
// the SMSC delivers the receipt again later. Calls run concurrently (see
// WithHandlerWorkers), so two receipts for one id may arrive out of order.
// Without a handler, receipts are acknowledged and dropped.
func WithReceiptHandler(f func(context.Context, carriers.Receipt) error) ClientOption {
	return clientOptionFunc(func(c *clientOptions) { c.onReceipt = f })
}

// WithInboundHandler sets the function that receives mobile-originated
// messages, with the same contract as WithReceiptHandler.
func WithInboundHandler(f func(context.Context, carriers.Inbound) error) ClientOption {
	return clientOptionFunc(func(c *clientOptions) { c.onInbound = f })
}

// WithHandlerWorkers sets how many receipt and inbound handler calls may
// run at once per connection. The default is 128: a handler that waits for
// a broker's acknowledgement then still keeps up with a fast SMSC.
func WithHandlerWorkers(n int) ClientOption {
	return clientOptionFunc(func(c *clientOptions) { c.workers = n })
}

// WithDialer sets how the client opens its connections; the default
// dials TCP with RequestTimeout as the connect timeout. Tests dial
// in-memory pipes with it; a deployment may dial through TLS.
func WithDialer(dial func(ctx context.Context, addr string) (net.Conn, error)) ClientOption {
	return clientOptionFunc(func(c *clientOptions) { c.dial = dial })
}

type sessionOptionFunc func(*sessionOptions)

func (f sessionOptionFunc) applyToSession(s *sessionOptions) { f(s) }

// WithWindow bounds the requests (deliver_sm) a server session has in
// flight towards its ESME. The default is 100.
func WithWindow(n int) SessionOption {
	return sessionOptionFunc(func(s *sessionOptions) { s.window = n })
}

// WithMaxPending bounds the requests from the ESME that a server session
// holds unanswered; requests beyond it are answered ESME_RTHROTTLED. The
// default is 1000.
func WithMaxPending(n int) SessionOption {
	return sessionOptionFunc(func(s *sessionOptions) { s.maxPending = n })
}

// WithRequestTimeout sets how long a server session waits for the
// response to one of its requests. The default is 10s.
func WithRequestTimeout(d time.Duration) SessionOption {
	return sessionOptionFunc(func(s *sessionOptions) { s.requestTimeout = d })
}

// WithEnquireLink makes a server session send enquire_link every d and
// drop the connection when one goes unanswered. The default, 0, leaves
// keepalive to the ESME.
func WithEnquireLink(d time.Duration) SessionOption {
	return sessionOptionFunc(func(s *sessionOptions) { s.enquireLink = d })
}

// Server session timeouts when no option sets them.
const (
	DefaultBindTimeout = 30 * time.Second
	DefaultIdleTimeout = 5 * time.Minute
)

// WithBindTimeout closes a server session whose connection has not bound
// within d (ErrBindTimeout). The default is DefaultBindTimeout; d ≤ 0
// waits forever.
func WithBindTimeout(d time.Duration) SessionOption {
	return sessionOptionFunc(func(s *sessionOptions) { s.bindTimeout = d })
}

// WithIdleTimeout closes a server session whose peer sent nothing, not
// even enquire_link, for d (ErrIdleTimeout). The default is
// DefaultIdleTimeout; d ≤ 0 never closes an idle session.
func WithIdleTimeout(d time.Duration) SessionOption {
	return sessionOptionFunc(func(s *sessionOptions) { s.idleTimeout = d })
}

// WithSystemID sets the system_id a server session returns in bind
// responses. The default is "tern".
func WithSystemID(id string) SessionOption {
	return sessionOptionFunc(func(s *sessionOptions) { s.systemID = id })
}
