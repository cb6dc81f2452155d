package smscsim

import (
	"net"
	"sync/atomic"
)

// faultConn is an accepted connection that can go silent: while the
// server is silent its writes are swallowed, and once a write was
// swallowed the stream stays cut until the connection closes.
type faultConn struct {
	net.Conn
	silent func() bool
	muted  atomic.Bool
}

func (c *faultConn) Write(b []byte) (int, error) {
	if c.muted.Load() || c.silent() {
		c.muted.Store(true)
		return len(b), nil
	}
	return c.Conn.Write(b)
}
