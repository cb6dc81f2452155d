package frontdoor

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// Limits bound the connections a Limiter lets in. Zero means no bound.
type Limits struct {
	// Total bounds the connections open at once over all the Limiter's
	// listeners.
	Total int
	// PerClient bounds the connections open at once from one client: one
	// IPv4 address, or one IPv6 /64, the block a single host usually gets.
	PerClient int
}

// Validate reports a negative bound.
func (l Limits) Validate() error {
	if l.Total < 0 || l.PerClient < 0 {
		return fmt.Errorf("connection limits %d total, %d per client: want 0 (no bound) or more", l.Total, l.PerClient)
	}
	return nil
}

// Limiter counts the open connections of the listeners it wraps and
// closes, as soon as they are accepted, those over its Limits. A
// connection counts from its Accept until its first Close. Safe for
// concurrent use.
type Limiter struct {
	limits  Limits
	refused func(remote net.Addr, why error)

	mu      sync.Mutex
	open    int
	clients map[netip.Prefix]int // only clients with connections open
}

// Option configures a Limiter.
type Option interface{ apply(*Limiter) }

type optionFunc func(*Limiter)

func (f optionFunc) apply(l *Limiter) { f(l) }

// WithRefused has f told of every connection refused, with
// ErrTooManyConnections or ErrTooManyFromClient. It runs on the accepting
// goroutine, so it must be quick: count, do not log every one.
func WithRefused(f func(remote net.Addr, why error)) Option {
	return optionFunc(func(l *Limiter) { l.refused = f })
}

// NewLimiter returns a Limiter enforcing limits; negative bounds count as
// none (Limits.Validate reports them).
func NewLimiter(limits Limits, opts ...Option) *Limiter {
	l := &Limiter{limits: limits, clients: make(map[netip.Prefix]int)}
	for _, o := range opts {
		o.apply(l)
	}
	return l
}

// Listener wraps ln: its Accept returns only connections within the
// limits, each counted until it is closed.
func (l *Limiter) Listener(ln net.Listener) net.Listener { return &listener{Listener: ln, l: l} }

// Open returns how many connections are open.
func (l *Limiter) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// admit counts a new connection from remote, or says why it may not open.
func (l *Limiter) admit(remote net.Addr) (netip.Prefix, error) {
	key := clientOf(remote)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.limits.Total > 0 && l.open >= l.limits.Total:
		return key, ErrTooManyConnections
	case l.limits.PerClient > 0 && l.clients[key] >= l.limits.PerClient:
		return key, ErrTooManyFromClient
	}
	l.open++
	l.clients[key]++
	return key, nil
}

func (l *Limiter) release(key netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if n := l.clients[key] - 1; n > 0 {
		l.clients[key] = n
	} else {
		delete(l.clients, key)
	}
}

// clientOf is the client a remote address counts as: its IPv4 address,
// or its IPv6 /64. Addresses that are not IP all count as one client.
func clientOf(remote net.Addr) netip.Prefix {
	var ip netip.Addr
	switch a := remote.(type) {
	case *net.TCPAddr:
		ip = a.AddrPort().Addr()
	case *net.UDPAddr:
		ip = a.AddrPort().Addr()
	default:
		return netip.Prefix{}
	}
	ip = ip.Unmap().WithZone("")
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

type listener struct {
	net.Listener
	l *Limiter
}

// Accept returns the next connection within the limits; those over them
// are closed and reported to WithRefused's function.
func (ln *listener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, err := ln.l.admit(c.RemoteAddr())
		if err == nil {
			return &conn{Conn: c, l: ln.l, key: key}, nil
		}
		c.Close()
		if ln.l.refused != nil {
			ln.l.refused(c.RemoteAddr(), err)
		}
	}
}

// conn is an admitted connection; its first Close releases its place.
type conn struct {
	net.Conn
	l    *Limiter
	key  netip.Prefix
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.key) })
	return err
}

// CloseWrite half-closes a TCP connection, as net/http does after an
// answer it gives before the request's end.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
