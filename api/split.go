package api

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
)

// The split of one listener between net/http and grpc-go.
//
// A connection goes to grpc-go when it starts with the HTTP/2 preface and
// its first request is gRPC (content type application/grpc or
// application/grpc+proto) to a service grpc-go serves; everything else —
// HTTP/1.1, gRPC-Web, Connect, gRPC with the JSON codec, gRPC health and
// reflection — goes to net/http. The choice holds for the connection's
// life, so a client that mixes gRPC and Connect calls on one HTTP/2
// connection has its later Connect calls refused by grpc-go (HTTP 415);
// such a client needs one connection per protocol, or a Server without
// WithGRPC.
//
// To see the first request the splitter answers the client's preface with
// an empty SETTINGS frame (grpc-go clients wait for the server's before
// they send anything). The server that takes the connection sends its own
// SETTINGS next, as a second frame; the client's acknowledgement of the
// splitter's frame is taken out of what net/http reads, which would count
// it against its own. grpc-go ignores acknowledgements.
//
// The splitter holds what it read until it hands the connection over, at
// most maxRouteBytes; a connection that sends more before its first
// request is closed.
//
// With TLS the splitter does the handshake and splits what comes through
// it the same way, whatever ALPN chose: grpc-go's transport then saves as
// much CPU per call as without TLS, and net/http serves h2 and HTTP/1.1
// on the decrypted stream as it does on a cleartext one.

// splitTimeout bounds how long a new connection may take to show what it
// is; net/http's ReadHeaderTimeout in NewServer is as long.
const splitTimeout = 10 * time.Second

// maxRouteBytes bounds what the splitter reads from a connection before
// it hands it over: far more than any client's preface, SETTINGS, window
// updates and first HEADERS.
const maxRouteBytes = 64 << 10

// errRouteTooLong: a connection sent more than maxRouteBytes without a
// first request.
var errRouteTooLong = errors.New("no HTTP/2 request in the first 64 KiB")

var (
	clientPreface = []byte(http2.ClientPreface)
	emptySettings = []byte{0, 0, 0, byte(http2.FrameSettings), 0, 0, 0, 0, 0}
)

// route says where a new connection goes, reading as little of it as it
// must and never more than maxRouteBytes. The bytes it read are returned,
// to be read again by the server the connection goes to. serves tells
// whether grpc-go serves a request path.
func route(c net.Conn, serves func(path string) bool) (grpc bool, read []byte, err error) {
	rec := &recorder{r: c, max: maxRouteBytes}
	// The preface, or the first bytes that differ from it.
	var head [24]byte
	n := 0
	for n < len(head) {
		m, err := rec.Read(head[n:])
		n += m
		if !bytes.Equal(head[:n], clientPreface[:n]) {
			return false, rec.buf, nil
		}
		if err != nil {
			return false, rec.buf, err
		}
	}
	if _, err := c.Write(emptySettings); err != nil {
		return false, rec.buf, err
	}
	fr := http2.NewFramer(nil, bufio.NewReader(rec))
	// The splitter's SETTINGS left the client at the protocol's defaults.
	fr.SetMaxReadFrameSize(16 << 10)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	fr.MaxHeaderListSize = maxRouteBytes
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return false, rec.buf, err
		}
		if h, ok := f.(*http2.MetaHeadersFrame); ok {
			return isGRPC(h.PseudoValue("method"), contentType(h)) && serves(h.PseudoValue("path")), rec.buf, nil
		}
	}
}

// servesFirst tells whether g serves a request path: /SERVICE/METHOD of
// a service registered on it.
func servesFirst(g *grpc.Server) func(path string) bool {
	services := g.GetServiceInfo()
	return func(path string) bool {
		svc, _, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		_, served := services[svc]
		return ok && served
	}
}

func contentType(h *http2.MetaHeadersFrame) string {
	for _, f := range h.RegularFields() {
		if f.Name == "content-type" {
			return f.Value
		}
	}
	return ""
}

// isGRPC tells whether a request is gRPC in the protobuf codec, which is
// what grpc-go serves.
func isGRPC(method, ct string) bool {
	if method != "POST" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/grpc" || mt == "application/grpc+proto"
}

// recorder keeps what it reads, up to max bytes; then it fails with
// errRouteTooLong.
type recorder struct {
	r   io.Reader
	buf []byte
	max int
}

func (r *recorder) Read(p []byte) (int, error) {
	left := r.max - len(r.buf)
	if left <= 0 {
		return 0, errRouteTooLong
	}
	if len(p) > left {
		p = p[:left]
	}
	n, err := r.r.Read(p)
	r.buf = append(r.buf, p[:n]...)
	return n, err
}

// replayConn is a connection whose first bytes were already read.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// dropSettingsAck passes HTTP/2 frames through, without the first empty
// SETTINGS frame with the ACK flag.
type dropSettingsAck struct {
	r       io.Reader
	hdr     [9]byte
	pending []byte // a frame header to hand out
	body    int    // bytes of the current frame's payload still to pass
	done    bool
}

func (d *dropSettingsAck) Read(p []byte) (int, error) {
	for {
		switch {
		case len(d.pending) > 0:
			n := copy(p, d.pending)
			d.pending = d.pending[n:]
			return n, nil
		case d.done:
			return d.r.Read(p)
		case d.body > 0:
			if len(p) > d.body {
				p = p[:d.body]
			}
			n, err := d.r.Read(p)
			d.body -= n
			return n, err
		}
		if n, err := io.ReadFull(d.r, d.hdr[:]); err != nil {
			if n == 0 {
				return 0, err
			}
			// Cut inside a header: pass on what came, then the error.
			d.pending, d.done = d.hdr[:n], true
			continue
		}
		length := int(d.hdr[0])<<16 | int(d.hdr[1])<<8 | int(d.hdr[2])
		if http2.FrameType(d.hdr[3]) == http2.FrameSettings && http2.Flags(d.hdr[4]).Has(http2.FlagSettingsAck) && length == 0 {
			d.done = true
			continue
		}
		d.pending, d.body = d.hdr[:], length
	}
}

// splitListener accepts on one listener and hands each connection to one
// of two listeners, after route.
type splitListener struct {
	ln         net.Listener
	grpc, http *chanListener
	timeout    time.Duration
	tls        *tls.Config // nil: cleartext
	serves     func(path string) bool
	wg         sync.WaitGroup // routing goroutines
	closing    atomic.Bool
}

func newSplitListener(ln net.Listener, timeout time.Duration, tlsConfig *tls.Config, serves func(string) bool) *splitListener {
	return &splitListener{ln: ln, grpc: newChanListener(ln.Addr()), http: newChanListener(ln.Addr()),
		timeout: timeout, tls: tlsConfig, serves: serves}
}

// run accepts until the listener is closed. When it fails by itself, run
// closes both halves, so that both servers stop; after Close their own
// shutdowns close them.
func (s *splitListener) run() {
	defer func() {
		s.wg.Wait()
		if !s.closing.Load() {
			s.grpc.Close()
			s.http.Close()
		}
	}()
	var delay time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors and the like: wait, as net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return
		}
		delay = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.hand(c)
		}()
	}
}

// hand routes c and hands it over, or closes it.
func (s *splitListener) hand(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(s.timeout))
	if s.tls != nil {
		tc := tls.Server(c, s.tls)
		if err := tc.Handshake(); err != nil {
			c.Close()
			return
		}
		c = tc
	}
	grpc, read, err := route(c, s.serves)
	if errors.Is(err, errRouteTooLong) {
		c.Close()
		return
	}
	_ = c.SetDeadline(time.Time{})
	// A connection route could not read to its first request (closed,
	// malformed, or silent for the timeout) goes to net/http, which serves
	// gRPC too and answers the rest as it always does.
	r := io.MultiReader(bytes.NewReader(read), c)
	to := s.http
	switch {
	case grpc:
		to = s.grpc
	case bytes.HasPrefix(read, clientPreface):
		r = io.MultiReader(bytes.NewReader(clientPreface), &dropSettingsAck{r: io.MultiReader(bytes.NewReader(read[len(clientPreface):]), c)})
	}
	if !to.put(&replayConn{Conn: c, r: r}) {
		c.Close()
	}
}

// Close stops accepting.
func (s *splitListener) Close() error {
	s.closing.Store(true)
	return s.ln.Close()
}

// chanListener is a net.Listener whose connections come from a splitter.
type chanListener struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

// put hands c to Accept; false if the listener is closed.
func (l *chanListener) put(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }
