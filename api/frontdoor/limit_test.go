package frontdoor

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"
)

func TestClientOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   net.Addr
		want string
	}{
		{"IPv4", &net.TCPAddr{IP: net.ParseIP("203.0.113.7"), Port: 4000}, "203.0.113.7/32"},
		{"IPv4 mapped into IPv6", &net.TCPAddr{IP: net.ParseIP("::ffff:203.0.113.7"), Port: 4000}, "203.0.113.7/32"},
		{"IPv6: its /64", &net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:aaaa::1"), Port: 4000}, "2001:db8:1:2::/64"},
		{"IPv6 with a zone", &net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 4000, Zone: "eth0"}, "fe80::/64"},
		{"not IP", &net.UnixAddr{Name: "/tmp/sock", Net: "unix"}, netip.Prefix{}.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clientOf(tt.in).String(); got != tt.want {
				t.Errorf("clientOf(%v) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// refusals records what a Limiter refused.
type refusals struct {
	mu  sync.Mutex
	why []error
}

func (r *refusals) add(_ net.Addr, why error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.why = append(r.why, why)
}

func (r *refusals) list() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.why...)
}

// serveLimited accepts on a limited loopback listener, keeping every
// connection open until the test ends, and returns its address.
func serveLimited(t *testing.T, l *Limiter) string {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := l.Listener(raw)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }() // echo until the client closes
		}
	}()
	return raw.Addr().String()
}

// open dials addr and reports whether the connection is served: an echo
// comes back, where a refused one is closed.
func open(t *testing.T, addr string) (net.Conn, bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write([]byte("x")); err != nil {
		return c, false
	}
	var b [1]byte
	_, err = io.ReadFull(c, b[:])
	return c, err == nil
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		limits Limits
		served int
		why    error
	}{
		{"per client", Limits{PerClient: 2}, 2, ErrTooManyFromClient},
		{"in total", Limits{Total: 3, PerClient: 10}, 3, ErrTooManyConnections},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r refusals
			l := NewLimiter(tt.limits, WithRefused(r.add))
			addr := serveLimited(t, l)
			var conns []net.Conn
			for i := range tt.served {
				c, ok := open(t, addr)
				if !ok {
					t.Fatalf("connection %d refused within the limits", i+1)
				}
				conns = append(conns, c)
			}
			if _, ok := open(t, addr); ok {
				t.Fatalf("connection %d served over the limits %+v", tt.served+1, tt.limits)
			}
			if why := r.list(); len(why) != 1 || !errors.Is(why[0], tt.why) {
				t.Fatalf("refusals %v, want one %v", why, tt.why)
			}
			// A closed connection frees its place once the server closed
			// its side too.
			conns[0].Close()
			testkit.Eventually(t, 30*time.Second, func() error {
				if n := l.Open(); n != tt.served-1 {
					return fmt.Errorf("%d open, want %d", n, tt.served-1)
				}
				return nil
			})
			if _, ok := open(t, addr); !ok {
				t.Fatal("connection refused after one closed")
			}
		})
	}
}

func TestLimiterReleasesOnce(t *testing.T) {
	t.Parallel()
	l := NewLimiter(Limits{PerClient: 1})
	a, b := net.Pipe()
	defer b.Close()
	key, err := l.admit(&net.TCPAddr{IP: net.ParseIP("192.0.2.1")})
	if err != nil {
		t.Fatal(err)
	}
	c := &conn{Conn: a, l: l, key: key}
	c.Close()
	c.Close()
	if n := l.Open(); n != 0 {
		t.Fatalf("open %d after two Close, want 0", n)
	}
	if len(l.clients) != 0 {
		t.Fatalf("clients %v kept after their last connection closed", l.clients)
	}
}
