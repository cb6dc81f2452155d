package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/pipeline"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

const testKey = "key-one"

// countingSender takes every message and counts them.
type countingSender struct{ n atomic.Int64 }

func (s *countingSender) Send(_ context.Context, reqs []pipeline.Request, out []pipeline.Result) error {
	s.n.Add(int64(len(reqs)))
	for i := range out {
		out[i] = pipeline.Result{ID: fmt.Sprint("m", i)}
	}
	return nil
}

// noReports knows of no message and no campaign.
type noReports struct{}

func (noReports) CampaignStats(context.Context, string, string) (analytics.CampaignStats, error) {
	return analytics.CampaignStats{}, analytics.ErrNotFound
}
func (noReports) Message(context.Context, string, string) (analytics.MessageView, error) {
	return analytics.MessageView{}, analytics.ErrNotFound
}
func (noReports) Check(string, string) (time.Time, error) { return time.Time{}, errNotFound }

// meteredListener counts the bytes the server read from its connections.
type meteredListener struct {
	net.Listener
	read atomic.Int64
}

func (l *meteredListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &meteredConn{Conn: c, read: &l.read}, nil
}

type meteredConn struct {
	net.Conn
	read *atomic.Int64
}

func (c *meteredConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// apiServer is the API as tern serve runs it, with fakes behind the
// handlers: net/http and grpc-go split on one listener.
type apiServer struct {
	addr   string
	meter  *meteredListener
	sender *countingSender
}

func serveAPI(t *testing.T, opts ...ServerOption) apiServer {
	t.Helper()
	keys, err := NewKeyring(map[string][]string{"shop-1": {KeyHash(testKey)}})
	if err != nil {
		t.Fatal(err)
	}
	return serveAPIWith(t, keys, opts...)
}

// serveAPIWith is serveAPI with the keys of keys.
func serveAPIWith(t *testing.T, keys Authorizer, opts ...ServerOption) apiServer {
	t.Helper()
	sender := &countingSender{}
	d := Deps{Keys: keys, Sender: sender, Reports: noReports{}, IDs: noReports{}, Log: slog.New(slog.DiscardHandler)}
	h, err := NewHandler(d)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGRPCServer(d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, append(opts, WithGRPC(g))...)
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &meteredListener{Listener: raw}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return apiServer{addr: raw.Addr().String(), meter: ln, sender: sender}
}

// zeros is n zero bytes, made as they are read.
func zeros(n int64) io.Reader { return io.LimitReader(zeroReader{}, n) }

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func gzipped(t *testing.T, r io.Reader) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := io.Copy(w, r); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

// post sends body to Send as a Connect (or gRPC-Web, by contentType) call
// and returns the HTTP status and the start of the answer.
func post(ctx context.Context, hc *http.Client, url, contentType, encoding, key string, body io.Reader) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+ternv1connect.MessageServiceSendProcedure, body)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", contentType)
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
	return resp.StatusCode, string(b) + resp.Header.Get("Grpc-Status") + resp.Trailer.Get("Grpc-Status"), nil
}

// grpcRaw calls Send over grpc-go with body as the message's bytes.
func grpcRaw(ctx context.Context, t *testing.T, addr, key string, body []byte, opts ...grpc.CallOption) error {
	t.Helper()
	if key != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
	}
	var out []byte
	return grpcConn(t, addr).Invoke(ctx, ternv1connect.MessageServiceSendProcedure, body, &out,
		append(opts, grpc.ForceCodec(rawCodec{}))...)
}

// A call without a key is refused before its body is read, in every
// protocol: the server reads a small part of a large body at most.
func TestUnauthenticatedBodyNotRead(t *testing.T) {
	t.Parallel()
	const big = 64 << 20
	tests := []struct {
		name string
		call func(ctx context.Context, t *testing.T, addr string) error
	}{
		{"Connect over HTTP/1.1", func(ctx context.Context, t *testing.T, addr string) error {
			return wantHTTP(post(ctx, &http.Client{}, "http://"+addr, "application/proto", "", "", zeros(big)))
		}},
		{"Connect over HTTP/1.1, wrong key", func(ctx context.Context, t *testing.T, addr string) error {
			return wantHTTP(post(ctx, &http.Client{}, "http://"+addr, "application/proto", "", "not-a-key", zeros(big)))
		}},
		{"Connect over HTTP/1.1, gzip", func(ctx context.Context, t *testing.T, addr string) error {
			return wantHTTP(post(ctx, &http.Client{}, "http://"+addr, "application/proto", "gzip", "", bytes.NewReader(gzipped(t, zeros(big)))))
		}},
		{"Connect over h2c", func(ctx context.Context, t *testing.T, addr string) error {
			return wantHTTP(post(ctx, h2cClient(), "http://"+addr, "application/proto", "", "", zeros(big)))
		}},
		{"gRPC-Web over HTTP/1.1", func(ctx context.Context, t *testing.T, addr string) error {
			return wantHTTP(post(ctx, &http.Client{}, "http://"+addr, "application/grpc-web+proto", "", "", zeros(big)))
		}},
		{"gRPC on grpc-go", func(ctx context.Context, t *testing.T, addr string) error {
			// Within the message limit, which grpc-go checks first.
			err := grpcRaw(ctx, t, addr, "", make([]byte, 7<<20))
			if status.Code(err) != codes.Unauthenticated {
				return fmt.Errorf("%v, want Unauthenticated", err)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := serveAPI(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := tt.call(ctx, t, s.addr); err != nil {
				t.Fatal(err)
			}
			if n := s.meter.read.Load(); n > 2<<20 {
				t.Fatalf("server read %d bytes of an unauthenticated call, want at most 2 MiB", n)
			}
		})
	}
}

// wantHTTP checks a post's answer is Unauthenticated: HTTP 401 for
// Connect, grpc-status 16 for gRPC-Web.
func wantHTTP(code int, body string, err error) error {
	switch {
	case err != nil:
		return err
	case code == http.StatusUnauthorized && strings.Contains(body, "unauthenticated"):
		return nil
	case code == http.StatusOK && strings.HasSuffix(body, "16"):
		return nil
	}
	return fmt.Errorf("HTTP %d %q, want Unauthenticated", code, body)
}

// A message larger than MaxRequestBytes is ResourceExhausted, also when
// it is small compressed: the limit counts after decompression.
func TestRequestLimit(t *testing.T) {
	t.Parallel()
	s := serveAPI(t)
	url := "http://" + s.addr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const over = MaxRequestBytes + 1
	bomb := gzipped(t, zeros(64<<20))
	tests := []struct {
		name string
		call func() error
	}{
		{"Connect", func() error {
			return wantExhausted(post(ctx, h2cClient(), url, "application/proto", "", testKey, zeros(over)))
		}},
		{"Connect, gzip bomb", func() error {
			return wantExhausted(post(ctx, h2cClient(), url, "application/proto", "gzip", testKey, bytes.NewReader(bomb)))
		}},
		{"Connect over HTTP/1.1, gzip bomb", func() error {
			return wantExhausted(post(ctx, &http.Client{}, url, "application/proto", "gzip", testKey, bytes.NewReader(bomb)))
		}},
		{"gRPC on grpc-go", func() error {
			if err := grpcRaw(ctx, t, s.addr, testKey, make([]byte, over)); status.Code(err) != codes.ResourceExhausted {
				return fmt.Errorf("%v, want ResourceExhausted", err)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
		})
	}
	if n := s.sender.n.Load(); n != 0 {
		t.Fatalf("%d messages reached the sender", n)
	}
}

func wantExhausted(code int, body string, err error) error {
	if err == nil && code == http.StatusTooManyRequests && strings.Contains(body, "resource_exhausted") {
		return nil
	}
	return fmt.Errorf("HTTP %d %q %v, want ResourceExhausted", code, body, err)
}

// largestBatch is the largest valid SendBatch: 1,000 messages with every
// field at its limit.
func largestBatch() *ternv1.SendBatchRequest {
	m := &ternv1.SendRequest{
		To:             "+14155552671",
		From:           "ABCDEFGHIJK",
		Body:           strings.Repeat("😀", pipeline.MaxBodyRunes),
		CampaignId:     strings.Repeat("c", pipeline.MaxCampaignIDLen),
		IdempotencyKey: strings.Repeat("k", pipeline.MaxIdempotencyKey),
		Category:       ternv1.Category_CATEGORY_MARKETING,
		SmartEncoding:  true,
		ShiftTables:    []string{"tr", "es", "pt"},
		SendAt:         timestamppb.New(time.Now().Add(30 * 24 * time.Hour)),
		Validity:       durationpb.New(47*time.Hour + 59*time.Minute + 59*time.Second + 999999999),
	}
	b := &ternv1.SendBatchRequest{}
	for i := range 1000 {
		mi := proto.Clone(m).(*ternv1.SendRequest)
		mi.IdempotencyKey = fmt.Sprintf("%04d", i) + mi.IdempotencyKey[4:]
		b.Messages = append(b.Messages, mi)
	}
	return b
}

// The largest valid request fits the limit, in protobuf and in JSON, and
// goes through both servers.
func TestMaxRequestFitsLargestBatch(t *testing.T) {
	t.Parallel()
	batch := largestBatch()
	js, err := protojson.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	if n := proto.Size(batch); n > MaxRequestBytes || len(js) > MaxRequestBytes {
		t.Fatalf("largest batch: %d bytes in protobuf, %d in JSON; limit %d", n, len(js), MaxRequestBytes)
	}
	s := serveAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	auth := connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+testKey)
			return next(ctx, req)
		}
	}))
	clients := map[string]ternv1connect.MessageServiceClient{
		"gRPC on grpc-go":       ternv1connect.NewMessageServiceClient(h2cClient(), "http://"+s.addr, connect.WithGRPC(), auth),
		"Connect JSON":          ternv1connect.NewMessageServiceClient(h2cClient(), "http://"+s.addr, connect.WithProtoJSON(), auth),
		"Connect JSON, gzipped": ternv1connect.NewMessageServiceClient(&http.Client{}, "http://"+s.addr, connect.WithProtoJSON(), connect.WithSendGzip(), auth),
	}
	for name, c := range clients {
		before := s.sender.n.Load()
		resp, err := c.SendBatch(ctx, connect.NewRequest(batch))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(resp.Msg.Results) != 1000 || s.sender.n.Load()-before != 1000 {
			t.Fatalf("%s: %d results, %d sent; want 1000", name, len(resp.Msg.Results), s.sender.n.Load()-before)
		}
	}
}

// HTTP/2 frames that never come to a first HEADERS frame: the splitter
// holds at most 64 KiB of them, then net/http ends the connection.
func TestSplitBoundsBytesBeforeHeaders(t *testing.T) {
	t.Parallel()
	s := serveAPI(t)
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	// The server's answers are read, so that it never waits on us.
	closed := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, c)
		closed <- err
	}()
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, nil)
	payload := make([]byte, 16<<10)
	sent := 0
	for ; sent < 64<<20; sent += len(payload) {
		if err := fr.WriteData(1, false, payload); err != nil {
			break // the server closed the connection
		}
	}
	if err := <-closed; err != nil && !isReset(err) {
		t.Fatalf("connection: %v", err)
	}
	if n := s.meter.read.Load(); n > 1<<20 {
		t.Fatalf("server read %d bytes of frames without HEADERS (%d sent), want at most 1 MiB", n, sent)
	}
}

func isReset(err error) bool {
	return strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe")
}

// A request whose body stops coming is ended after the read timeout, on
// net/http and on grpc-go.
func TestReadTimeout(t *testing.T) {
	t.Parallel()
	s := serveAPI(t, WithReadTimeout(200*time.Millisecond))
	url := "http://" + s.addr
	// A body that sends a little and then nothing, until ctx ends.
	stalled := func(ctx context.Context) io.Reader {
		r, w := io.Pipe()
		go w.Write([]byte{0x0a, 0x05})
		context.AfterFunc(ctx, func() { w.CloseWithError(ctx.Err()) })
		return r
	}
	ended := func(code int, body string, err error) error {
		if err != nil {
			return err
		}
		return fmt.Errorf("HTTP %d %q", code, body)
	}
	tests := []struct {
		name string
		// call returns how the server ended the call.
		call func(ctx context.Context, t *testing.T) error
	}{
		{"Connect over HTTP/1.1", func(ctx context.Context, t *testing.T) error {
			return ended(post(ctx, &http.Client{}, url, "application/proto", "", testKey, stalled(ctx)))
		}},
		{"Connect over h2c", func(ctx context.Context, t *testing.T) error {
			return ended(post(ctx, h2cClient(), url, "application/proto", "", testKey, stalled(ctx)))
		}},
		{"gRPC on grpc-go", func(ctx context.Context, t *testing.T) error {
			return stalledGRPC(ctx, s.addr)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Long enough that only a server's timeout ends the call.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := tt.call(ctx, t)
			if ctx.Err() != nil {
				t.Fatalf("call still open after 30s (%v): want the server to end it", err)
			}
			t.Logf("ended: %v", err)
		})
	}
}

// stalledGRPC starts an authenticated gRPC call whose message never
// finishes and returns how the server ended it: a reset stream or a
// status.
func stalledGRPC(ctx context.Context, addr string) error {
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		return err
	}
	fr := http2.NewFramer(c, c)
	var hdr bytes.Buffer
	enc := hpack.NewEncoder(&hdr)
	for _, f := range [][2]string{
		{":method", "POST"}, {":scheme", "http"}, {":path", ternv1connect.MessageServiceSendProcedure}, {":authority", addr},
		{"content-type", "application/grpc"}, {"te", "trailers"}, {"authorization", "Bearer " + testKey},
	} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := fr.WriteSettings(); err != nil {
		return err
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hdr.Bytes(), EndHeaders: true}); err != nil {
		return err
	}
	// A message announced as 100 bytes, of which 2 come.
	if err := fr.WriteData(1, false, []byte{0, 0, 0, 0, 100, 0x0a, 0x05}); err != nil {
		return err
	}
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return err
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.RSTStreamFrame:
			return fmt.Errorf("stream reset: %v", f.ErrCode)
		case *http2.MetaHeadersFrame:
			for _, h := range f.Fields {
				if h.Name == "grpc-status" {
					return fmt.Errorf("grpc-status %s", h.Value)
				}
			}
		case *http2.GoAwayFrame:
			return fmt.Errorf("goaway %v", f.ErrCode)
		}
	}
}
