package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Limits of one post.
const (
	PostTimeout = 10 * time.Second
	MaxReply    = 64 << 10
)

// Resolver looks names up; *net.Resolver is one. Tests give names the
// addresses they need.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialFunc dials a checked address.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// ClientConfig configures a Client. The zero value refuses every
// non-public address.
type ClientConfig struct {
	// Allow are ranges dialled although not public: an operator's
	// explicit choice (dev mode allows 127.0.0.1/32 only).
	Allow []netip.Prefix
	// Resolver resolves host names; nil is net.DefaultResolver.
	Resolver Resolver
	// Dial dials an address that passed the checks; nil is a
	// net.Dialer that checks the socket's address again before
	// connecting.
	Dial DialFunc
	// Timeout bounds a post, reply included; 0 is PostTimeout.
	Timeout time.Duration
	// MaxConnsPerHost bounds connections to one host; 0 is 64.
	MaxConnsPerHost int
	Log             *slog.Logger
}

// Client posts to URLs on public addresses only. Safe for concurrent
// use.
type Client struct {
	hc  *http.Client
	cfg ClientConfig
}

// NewClient returns a Client with cfg.
func NewClient(cfg ClientConfig) *Client {
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = PostTimeout
	}
	if cfg.MaxConnsPerHost <= 0 {
		cfg.MaxConnsPerHost = 64
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	c := &Client{cfg: cfg}
	if c.cfg.Dial == nil {
		d := &net.Dialer{Timeout: cfg.Timeout, Control: c.control}
		c.cfg.Dial = d.DialContext
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the checks
		DialContext:           c.dial,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConnsPerHost:   cfg.MaxConnsPerHost,
		MaxConnsPerHost:       cfg.MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	c.hc = &http.Client{Transport: tr, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c
}

// dial resolves addr's host, refuses it unless every address it has is
// allowed, and dials the first that answers.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if addrs, err = c.cfg.Resolver.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	for _, a := range addrs {
		if r := refusal(a, c.cfg.Allow); r != "" {
			err := &RefusedError{Host: host, Addr: a.Unmap(), Reason: r}
			c.cfg.Log.Warn("webhook address refused; not dialled", "host", host, "addr", a.String(), "reason", r)
			return nil, err
		}
	}
	var last error
	for _, a := range addrs {
		conn, err := c.cfg.Dial(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		last = err
	}
	return nil, last
}

// control checks the address a socket is about to connect to: the last
// word, after every resolution.
func (c *Client) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Host: address, Reason: "unparsable address"}
	}
	if r := refusal(ap.Addr(), c.cfg.Allow); r != "" {
		return &RefusedError{Host: address, Addr: ap.Addr().Unmap(), Reason: r}
	}
	return nil
}

// Reply is what a post got back.
type Reply struct {
	Status  int
	Body    []byte
	Latency time.Duration
}

// Post sends body to rawURL with header and reads at most MaxReply of
// the answer. A redirect is an answer like any other (3xx), never
// followed.
func (c *Client) Post(ctx context.Context, rawURL string, body []byte, header http.Header) (Reply, error) {
	if err := CheckURL(rawURL, c.cfg.Allow); err != nil {
		return Reply{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return Reply{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return Reply{Latency: time.Since(start)}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxReply))
	return Reply{Status: resp.StatusCode, Body: b, Latency: time.Since(start)}, err
}

// CheckURL tells why rawURL cannot be an endpoint: it must be absolute
// http or https, with a host, without user info, and a literal address
// in it must be one Client would dial. Names are checked when dialled.
func CheckURL(rawURL string, allow []netip.Prefix) error {
	if len(rawURL) > 2048 {
		return invalid("url", "longer than 2048 bytes")
	}
	u, err := url.Parse(rawURL)
	switch {
	case err != nil:
		return invalid("url", "not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return invalid("url", "http or https only")
	case u.Host == "" || u.Hostname() == "":
		return invalid("url", "no host")
	case u.User != nil:
		return invalid("url", "user info is not allowed")
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		if r := refusal(a, allow); r != "" {
			return &RefusedError{Host: host, Addr: a.Unmap(), Reason: r}
		}
	} else if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		if refusal(netip.MustParseAddr("127.0.0.1"), allow) != "" {
			return &RefusedError{Host: host, Reason: "loopback name refused"}
		}
	}
	return nil
}

// isRefused tells whether err is an address refusal.
func isRefused(err error) bool { return errors.Is(err, ErrRefused) }
