package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
)

const sendPath = "/tern.v1.MessageService/Send"

// outcome is how one flooding client's attempt ended.
type outcome struct {
	written int64  // bytes the client got onto the connection
	answer  string // the server's answer, or how the connection ended
}

// zeros reads as n zero bytes.
type zeros struct{ left int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.left)]
	clear(p)
	z.left -= int64(len(p))
	return len(p), nil
}

// counted counts the bytes written to a connection.
type counted struct {
	net.Conn
	n *atomic.Int64
}

func (c counted) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// post sends body to MessageService.Send over HTTP/1.1 as a Connect call
// with no API key.
func post(ctx context.Context, addr, encoding string, body io.Reader) outcome {
	var n atomic.Int64
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, a)
		return counted{Conn: c, n: &n}, err
	}}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+sendPath, body)
	if err != nil {
		return outcome{answer: err.Error()}
	}
	req.Header.Set("Content-Type", "application/proto")
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return outcome{written: n.Load(), answer: shortErr(err)}
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return outcome{written: n.Load(), answer: resp.Status}
}

// bomb is a gzip body that inflates to size zero bytes.
func bomb(size int64) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	io.Copy(w, &zeros{left: size})
	w.Close()
	return b.Bytes()
}

// frames sends the HTTP/2 preface and DATA frames up to size bytes, never
// a HEADERS frame.
func frames(ctx context.Context, addr string, size int64) outcome {
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return outcome{answer: err.Error()}
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	go io.Copy(io.Discard, c)
	var n atomic.Int64
	w := counted{Conn: c, n: &n}
	if _, err := io.WriteString(w, http2.ClientPreface); err != nil {
		return outcome{written: n.Load(), answer: shortErr(err)}
	}
	fr := http2.NewFramer(w, nil)
	payload := make([]byte, 16<<10)
	for n.Load() < size {
		if err := fr.WriteData(1, false, payload); err != nil {
			return outcome{written: n.Load(), answer: "closed: " + shortErr(err)}
		}
	}
	return outcome{written: n.Load(), answer: "all sent"}
}

func shortErr(err error) string {
	s := err.Error()
	for _, known := range []string{"connection reset by peer", "broken pipe", "EOF", "i/o timeout", "context deadline exceeded"} {
		if strings.Contains(s, known) {
			return known
		}
	}
	return s
}

// send makes one normal Send with key over Connect's JSON and returns the
// message id.
func send(ctx context.Context, addr, key string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+sendPath,
		strings.NewReader(`{"to":"+14155552671","body":"Your order has shipped"}`))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"id"`) {
		return "", fmt.Errorf("%s %s", resp.Status, b)
	}
	return string(b), nil
}
