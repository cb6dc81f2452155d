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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/ternsms/tern/carriers/smscsim"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// writeCounter counts what a client managed to write to a connection.
type writeCounter struct {
	net.Conn
	n *atomic.Int64
}

func (c writeCounter) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// countingHTTP1 is an HTTP/1.1 client whose connections count the bytes
// written to them in n.
func countingHTTP1(n *atomic.Int64) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return writeCounter{Conn: c, n: n}, nil
	}}}
}

// zeroes reads as n zero bytes.
type zeroes struct{ left int64 }

func (z *zeroes) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.left)]
	clear(p)
	z.left -= int64(len(p))
	return len(p), nil
}

// postSend posts body to MessageService.Send over Connect as a client
// without a key would, or with key, and returns the answer's status and
// code.
func postSend(ctx context.Context, hc *http.Client, url, key, encoding string, body io.Reader) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+ternv1connect.MessageServiceSendProcedure, body)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/proto")
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b), nil
}

// framesWithoutHeaders sends the HTTP/2 preface and then DATA frames, up
// to size bytes, never a HEADERS frame; it returns the bytes written
// before the server closed the connection.
func framesWithoutHeaders(ctx context.Context, addr string, size int) (int64, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	go io.Copy(io.Discard, c)
	var n atomic.Int64
	w := writeCounter{Conn: c, n: &n}
	if _, err := io.WriteString(w, http2.ClientPreface); err != nil {
		return n.Load(), nil
	}
	fr := http2.NewFramer(w, nil)
	payload := make([]byte, 16<<10)
	for n.Load() < int64(size) {
		if err := fr.WriteData(1, false, payload); err != nil {
			break
		}
	}
	if ctx.Err() != nil {
		return n.Load(), ctx.Err()
	}
	return n.Load(), nil
}

// TestFrontDoorFlood: unauthenticated clients send 64 MiB bodies (plain
// and as a gzip bomb) and HTTP/2 frames without HEADERS, all at once. The
// server refuses each after a small part of what it was sent, a key does
// not get a gzip bomb past the message limit, and a normal Send works
// afterwards.
func TestFrontDoorFlood(t *testing.T) {
	r := startTestSystem(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1})
	url := "http://" + r.apiAddr
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const (
		clients = 5 // of each kind
		big     = 64 << 20
		// The kernel's socket buffers take some of what a client writes
		// before the server closes; the rest must never be sent.
		most = 24 << 20
	)
	var bomb bytes.Buffer
	gz := gzip.NewWriter(&bomb)
	io.Copy(gz, &zeroes{left: 256 << 20})
	gz.Close()

	var wg sync.WaitGroup
	errs := make(chan error, 3*clients)
	for i := range clients {
		wg.Go(func() {
			var n atomic.Int64
			code, body, err := postSend(ctx, countingHTTP1(&n), url, "", "", &zeroes{left: big})
			switch {
			case err != nil && n.Load() >= most:
				errs <- fmt.Errorf("plain %d: %v after %d bytes", i, err, n.Load())
			case err == nil && (code != http.StatusUnauthorized || !strings.Contains(body, "unauthenticated")):
				errs <- fmt.Errorf("plain %d: HTTP %d %q, want 401 unauthenticated", i, code, body)
			case n.Load() >= most:
				errs <- fmt.Errorf("plain %d: the client wrote %d of %d bytes before the answer", i, n.Load(), big)
			}
		})
		wg.Go(func() {
			code, body, err := postSend(ctx, &http.Client{}, url, "", "gzip", bytes.NewReader(bomb.Bytes()))
			if err != nil || code != http.StatusUnauthorized {
				errs <- fmt.Errorf("gzip %d: HTTP %d %q %v, want 401", i, code, body, err)
			}
		})
		wg.Go(func() {
			n, err := framesWithoutHeaders(ctx, r.apiAddr, big)
			if err != nil || n >= most {
				errs <- fmt.Errorf("frames %d: %d of %d bytes written before the server closed, %v", i, n, big, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// With a key, the gzip bomb meets the message limit after
	// decompression.
	code, body, err := postSend(ctx, &http.Client{}, url, r.devKey, "gzip", bytes.NewReader(bomb.Bytes()))
	if err != nil || code != http.StatusTooManyRequests || !strings.Contains(body, "resource_exhausted") {
		t.Fatalf("authenticated gzip bomb: HTTP %d %q %v, want 429 resource_exhausted", code, body, err)
	}

	// A normal Send, on both servers.
	for name, send := range map[string]sender{
		"Connect": connectSender(url, r.devKey),
		"grpc-go": grpcGoSender(t, r.apiAddr, r.devKey),
	} {
		resp, err := send(ctx, &ternv1.SendRequest{To: "+14155552671", Body: "Your order has shipped"})
		if err != nil || resp.Id == "" {
			t.Fatalf("%s Send after the flood: %v, %v", name, resp, err)
		}
	}
}
