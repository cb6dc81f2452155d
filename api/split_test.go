package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// servedBy answers Send with the name of the server that ran it.
type servedBy struct {
	ternv1connect.UnimplementedMessageServiceHandler
	name string
}

func (s servedBy) Send(_ context.Context, req *connect.Request[ternv1.SendRequest]) (*connect.Response[ternv1.SendResponse], error) {
	if req.Msg.Body == "fail" {
		return nil, connect.NewError(connect.CodeInvalidArgument, errMissingKey)
	}
	return connect.NewResponse(&ternv1.SendResponse{Id: s.name}), nil
}

// grpcSend is a grpc-go server whose MessageService.Send is f.
func grpcSend(f func(context.Context, *ternv1.SendRequest) (*ternv1.SendResponse, error)) *grpc.Server {
	g := grpc.NewServer()
	g.RegisterService(&grpc.ServiceDesc{
		ServiceName: ternv1connect.MessageServiceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Send", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := &ternv1.SendRequest{}
			if err := dec(in); err != nil {
				return nil, err
			}
			return f(ctx, in)
		}}},
	}, struct{}{})
	return g
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// splitServer serves servedBy on a Server split between net/http and
// grpc-go, and returns its address and accepted-connection count.
func splitServer(t *testing.T, timeout time.Duration) (string, *countingListener) {
	t.Helper()
	gs := servedBy{name: "grpc-go"}
	g := grpcSend(func(ctx context.Context, in *ternv1.SendRequest) (*ternv1.SendResponse, error) {
		resp, err := gs.Send(ctx, connect.NewRequest(in))
		if err != nil {
			return nil, grpcStatus(err)
		}
		return resp.Msg, nil
	})
	return serveSend(t, timeout, WithGRPC(g))
}

// serveSend serves servedBy under net/http on a Server with opts, until
// the test ends, and returns its address and accepted-connection count.
func serveSend(t *testing.T, timeout time.Duration, opts ...ServerOption) (string, *countingListener) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(ternv1connect.NewMessageServiceHandler(servedBy{name: "net/http"}))
	srv := NewServer(mux, opts...)
	srv.splitTimeout = timeout
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &countingListener{Listener: raw}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String(), ln
}

func h2cClient() *http.Client {
	return &http.Client{Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
}

func TestSplitRoutesByFirstRequest(t *testing.T) {
	t.Parallel()
	addr, _ := splitServer(t, splitTimeout)
	url := "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	conn := grpcConn(t, addr)
	grpcGo := func(ctx context.Context, req *ternv1.SendRequest) (*ternv1.SendResponse, error) {
		resp := &ternv1.SendResponse{}
		return resp, conn.Invoke(ctx, ternv1connect.MessageServiceSendProcedure, req, resp)
	}
	viaConnect := func(hc *http.Client, opts ...connect.ClientOption) func(context.Context, *ternv1.SendRequest) (*ternv1.SendResponse, error) {
		c := ternv1connect.NewMessageServiceClient(hc, url, opts...)
		return func(ctx context.Context, req *ternv1.SendRequest) (*ternv1.SendResponse, error) {
			resp, err := c.Send(ctx, connect.NewRequest(req))
			if err != nil {
				return nil, err
			}
			return resp.Msg, nil
		}
	}
	tests := []struct {
		name string
		send func(context.Context, *ternv1.SendRequest) (*ternv1.SendResponse, error)
		want string
	}{
		{"grpc-go client (waits for the server's SETTINGS)", grpcGo, "grpc-go"},
		{"Connect client, gRPC over h2c", viaConnect(h2cClient(), connect.WithGRPC()), "grpc-go"},
		{"Connect client, Connect over h2c", viaConnect(h2cClient()), "net/http"},
		{"Connect client, gRPC-Web over h2c", viaConnect(h2cClient(), connect.WithGRPCWeb()), "net/http"},
		{"Connect client, gRPC with JSON over h2c", viaConnect(h2cClient(), connect.WithGRPC(), connect.WithProtoJSON()), "net/http"},
		{"Connect client, Connect over HTTP/1.1", viaConnect(&http.Client{}), "net/http"},
		{"Connect client, gRPC-Web over HTTP/1.1", viaConnect(&http.Client{}, connect.WithGRPCWeb()), "net/http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Several calls: later ones reuse the connection the first chose.
			for i := range 5 {
				resp, err := tt.send(ctx, &ternv1.SendRequest{To: "+14155552671", Body: "hi"})
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				if resp.Id != tt.want {
					t.Fatalf("call %d served by %s, want %s", i, resp.Id, tt.want)
				}
			}
			// Errors keep their code and message on either server.
			_, err := tt.send(ctx, &ternv1.SendRequest{To: "+14155552671", Body: "fail"})
			if got := connect.CodeOf(err); status.Code(err) != codes.InvalidArgument && got != connect.CodeInvalidArgument {
				t.Fatalf("error %v, want InvalidArgument", err)
			}
			if !strings.Contains(err.Error(), errMissingKey.Error()) {
				t.Fatalf("error %q lost its message", err)
			}
		})
	}
}

// Many calls on one HTTP/2 connection that went to net/http: the
// client's acknowledgement of the splitter's SETTINGS must not reach
// net/http, which would end the connection on it.
func TestSplitKeepsNetHTTPConnection(t *testing.T) {
	t.Parallel()
	addr, ln := splitServer(t, splitTimeout)
	c := ternv1connect.NewMessageServiceClient(h2cClient(), "http://"+addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 50 {
		resp, err := c.Send(ctx, connect.NewRequest(&ternv1.SendRequest{Body: "hi"}))
		if err != nil || resp.Msg.Id != "net/http" {
			t.Fatalf("call %d: %v, %v", i, resp, err)
		}
	}
	if n := ln.n.Load(); n != 1 {
		t.Fatalf("%d connections for 50 calls, want 1", n)
	}
}

// A connection that shows nothing within the timeout, or bytes that are
// not HTTP at all, goes to net/http, which answers as it always does.
func TestSplitSilentAndGarbage(t *testing.T) {
	t.Parallel()
	addr, _ := splitServer(t, 200*time.Millisecond)

	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	time.Sleep(400 * time.Millisecond)
	if _, err := io.WriteString(silent, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	silent.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := readLine(silent)
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 404") {
		t.Fatalf("late request answered %q, %v; want a 404 from net/http", line, err)
	}

	garbage, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer garbage.Close()
	if _, err := garbage.Write([]byte("\x00\x01\x02 not http\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	garbage.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := readLine(garbage); err != nil || !strings.HasPrefix(line, "HTTP/1.1 400") {
		t.Fatalf("garbage answered %q, %v; want a 400 from net/http", line, err)
	}
}

func readLine(c net.Conn) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for !bytes.HasSuffix(b, []byte("\r\n")) {
		if _, err := c.Read(one); err != nil {
			return string(b), err
		}
		b = append(b, one[0])
	}
	return string(b), nil
}

func TestDropSettingsAck(t *testing.T) {
	t.Parallel()
	var in, want bytes.Buffer
	frame := func(typ http2.FrameType, flags http2.Flags, payload []byte, keep bool) {
		h := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), byte(typ), byte(flags), 0, 0, 0, 1}
		in.Write(h)
		in.Write(payload)
		if keep {
			want.Write(h)
			want.Write(payload)
		}
	}
	frame(http2.FrameSettings, 0, []byte{0, 3, 0, 0, 0, 100}, true)
	frame(http2.FrameWindowUpdate, 0, []byte{0, 1, 0, 0}, true)
	// A DATA frame whose payload looks like a SETTINGS ACK header.
	frame(http2.FrameData, 0, []byte{0, 0, 0, 4, 1, 0, 0, 0, 0}, true)
	frame(http2.FrameSettings, http2.FlagSettingsAck, nil, false) // the splitter's
	frame(http2.FrameHeaders, http2.FlagHeadersEndHeaders, []byte("abc"), true)
	frame(http2.FrameSettings, http2.FlagSettingsAck, nil, true) // net/http's own
	frame(http2.FramePing, 0, []byte("12345678"), true)

	got, err := io.ReadAll(&dropSettingsAck{r: iotest.OneByteReader(bytes.NewReader(in.Bytes()))})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got\n%x\nwant\n%x", got, want.Bytes())
	}
	// A stream cut inside a frame header passes on what came.
	if got, err := io.ReadAll(&dropSettingsAck{r: bytes.NewReader([]byte{0, 0})}); err != nil || !bytes.Equal(got, []byte{0, 0}) {
		t.Fatalf("cut stream: %x, %v", got, err)
	}
}

// Shutdown waits for a gRPC call in progress and then stops both servers.
func TestSplitShutdownWaitsForGRPCCalls(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{})
	g := grpcSend(func(context.Context, *ternv1.SendRequest) (*ternv1.SendResponse, error) {
		close(started)
		<-release
		return &ternv1.SendResponse{Id: "slow"}, nil
	})
	srv := NewServer(http.NewServeMux(), WithGRPC(g))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	conn := grpcConn(t, ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	called := make(chan error, 1)
	go func() {
		called <- conn.Invoke(ctx, ternv1connect.MessageServiceSendProcedure, &ternv1.SendRequest{}, &ternv1.SendResponse{})
	}()
	<-started
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a call in progress", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-called; err != nil {
		t.Fatalf("call in progress: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Fatal("still accepting after Shutdown")
	}
}

// Whatever bytes a client sends, dropSettingsAck passes them on unchanged
// but for at most one empty SETTINGS ACK frame header.
func FuzzDropSettingsAck(f *testing.F) {
	f.Add([]byte{0, 0, 0, 4, 1, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 9})
	f.Add([]byte("\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64"))
	ack := []byte{0, 0, 0, byte(http2.FrameSettings), byte(http2.FlagSettingsAck)}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := io.ReadAll(&dropSettingsAck{r: bytes.NewReader(in)})
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(out, in) {
			return
		}
		// Otherwise one 9-byte ACK header was taken out, at a frame start
		// the frames before it lead to.
		isAck := func(h []byte) bool { // other flags mean nothing on SETTINGS
			return bytes.Equal(h[:4], ack[:4]) && h[4]&ack[4] != 0
		}
		at := 0
		for at+9 <= len(in) && !isAck(in[at:at+9]) {
			at += 9 + (int(in[at])<<16 | int(in[at+1])<<8 | int(in[at+2]))
		}
		if at+9 > len(in) || !bytes.Equal(out, append(append([]byte(nil), in[:at]...), in[at+9:]...)) {
			t.Fatalf("in %x\nout %x", in, out)
		}
	})
}

// mixedCalls makes a gRPC call, then a Connect call, on one HTTP/2
// connection, as a proxy multiplexing both kinds of clients does, and
// returns the second call's result.
func mixedCalls(t *testing.T, addr string) (*ternv1.SendResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hc := h2cClient() // one transport: one connection
	url := "http://" + addr
	first, err := ternv1connect.NewMessageServiceClient(hc, url, connect.WithGRPC()).Send(ctx, connect.NewRequest(&ternv1.SendRequest{Body: "hi"}))
	if err != nil {
		t.Fatalf("gRPC call: %v", err)
	}
	resp, err := ternv1connect.NewMessageServiceClient(hc, url).Send(ctx, connect.NewRequest(&ternv1.SendRequest{Body: "hi"}))
	if err != nil {
		return nil, err
	}
	if first.Msg.Id != resp.Msg.Id {
		t.Errorf("gRPC call served by %s, Connect call by %s on one connection", first.Msg.Id, resp.Msg.Id)
	}
	return resp.Msg, nil
}

// A connection whose first call was gRPC stays with grpc-go, which
// refuses a later Connect call on it.
func TestSplitRefusesMixedConnection(t *testing.T) {
	t.Parallel()
	addr, ln := splitServer(t, splitTimeout)
	if _, err := mixedCalls(t, addr); connect.CodeOf(err) != connect.CodeUnknown || !strings.Contains(err.Error(), "415") {
		t.Fatalf("Connect call after a gRPC call: %v, want HTTP 415", err)
	}
	if n := ln.n.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
}

// Without grpc-go, net/http serves both kinds of calls on one connection.
func TestUnsplitServesMixedConnection(t *testing.T) {
	t.Parallel()
	addr, ln := serveSend(t, splitTimeout)
	resp, err := mixedCalls(t, addr)
	if err != nil || resp.Id != "net/http" {
		t.Fatalf("Connect call after a gRPC call: %v, %v", resp, err)
	}
	if n := ln.n.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
}

// byteConn is a connection that reads in and swallows what is written.
type byteConn struct {
	net.Conn
	in io.Reader
}

func (c byteConn) Read(p []byte) (int, error)  { return c.in.Read(p) }
func (c byteConn) Write(p []byte) (int, error) { return len(p), nil }

// Whatever a client sends, route reads at most maxRouteBytes and hands
// back exactly what it read.
func FuzzRoute(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte(http2.ClientPreface))
	f.Add(append([]byte(http2.ClientPreface), 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1))
	f.Add(append([]byte(http2.ClientPreface), 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1))
	f.Fuzz(func(t *testing.T, in []byte) {
		// The input, then as many zero bytes again as the bound: frames
		// that never end must not keep route reading.
		src := io.MultiReader(bytes.NewReader(in), bytes.NewReader(make([]byte, maxRouteBytes)))
		_, read, _ := route(byteConn{in: src}, func(string) bool { return true })
		all := append(append([]byte(nil), in...), make([]byte, maxRouteBytes)...)
		if len(read) > maxRouteBytes || !bytes.Equal(read, all[:len(read)]) {
			t.Fatalf("route read %d bytes, not a prefix of its %d-byte input within %d", len(read), len(all), maxRouteBytes)
		}
	})
}
