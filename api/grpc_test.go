package api

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// The bridge authenticates as the Connect interceptor does, passes the
// tenant on, keeps a Connect error's code and message, and turns a panic
// into Internal instead of ending the process.
func TestGRPCBridge(t *testing.T) {
	t.Parallel()
	keys, err := NewKeyring(map[string][]string{"shop-1": {KeyHash("key-one")}})
	if err != nil {
		t.Fatal(err)
	}
	b := bridge{d: Deps{Keys: keys, Log: slog.New(slog.NewTextHandler(io.Discard, nil))},
		methods: map[string]bool{ternv1connect.MessageServiceSendProcedure: true}}
	send := func(ctx context.Context, req *connect.Request[ternv1.SendRequest]) (*connect.Response[ternv1.SendResponse], error) {
		switch req.Msg.Body {
		case "refuse":
			return nil, connect.NewError(connect.CodeInvalidArgument, errNotFound)
		case "panic":
			panic("handler bug")
		}
		return connect.NewResponse(&ternv1.SendResponse{Id: tenantFrom(ctx) + ":" + req.Msg.To}), nil
	}
	g := grpc.NewServer(b.serverOptions()...)
	g.RegisterService(&grpc.ServiceDesc{
		ServiceName: ternv1connect.MessageServiceName,
		HandlerType: (*any)(nil),
		Methods:     []grpc.MethodDesc{unary(b, "Send", send)},
	}, struct{}{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(ln)
	t.Cleanup(g.Stop)
	conn := grpcConn(t, ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call := func(auth, body string) (*ternv1.SendResponse, error) {
		ctx := ctx
		if auth != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", auth)
		}
		resp := &ternv1.SendResponse{}
		err := conn.Invoke(ctx, ternv1connect.MessageServiceSendProcedure, &ternv1.SendRequest{To: "+14155552671", Body: body}, resp)
		return resp, err
	}
	tests := []struct {
		name, auth, body string
		code             codes.Code
		msg, id          string
	}{
		{"no key", "", "hi", codes.Unauthenticated, errMissingKey.Error(), ""},
		{"not a bearer key", "key-one", "hi", codes.Unauthenticated, errMissingKey.Error(), ""},
		{"unknown key", "Bearer key-two", "hi", codes.Unauthenticated, errUnknownKey.Error(), ""},
		{"known key", "Bearer key-one", "hi", codes.OK, "", "shop-1:+14155552671"},
		{"Connect error", "Bearer key-one", "refuse", codes.InvalidArgument, errNotFound.Error(), ""},
		{"panic", "Bearer key-one", "panic", codes.Internal, "internal error", ""},
		{"after a panic", "Bearer key-one", "hi", codes.OK, "", "shop-1:+14155552671"},
	}
	// Bytes that are not a SendRequest (field 1 with a length that does
	// not fit) get what a Connect handler answers to them.
	undecodable := []byte{0x0a, 0xff}
	want := status.Convert(sendRaw(ctx, t, connectOnly(t), undecodable))
	got := status.Convert(sendRaw(ctx, t, ln.Addr().String(), undecodable))
	if want.Code() != codes.InvalidArgument || !strings.Contains(want.Message(), "cannot parse") {
		t.Fatalf("Connect answers an undecodable request with %v (%q)", want.Code(), want.Message())
	}
	if got.Code() != want.Code() || got.Message() != want.Message() {
		t.Errorf("undecodable request: %v (%q), want %v (%q) as Connect", got.Code(), got.Message(), want.Code(), want.Message())
	}
	for _, tt := range tests {
		resp, err := call(tt.auth, tt.body)
		st := status.Convert(err)
		if st.Code() != tt.code || st.Message() != tt.msg || resp.GetId() != tt.id {
			t.Errorf("%s: %v (%q), id %q; want %v (%q), id %q", tt.name, st.Code(), st.Message(), resp.GetId(), tt.code, tt.msg, tt.id)
		}
	}
}

// connectOnly serves MessageService's Connect handler on net/http alone
// and returns its address.
func connectOnly(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(ternv1connect.NewMessageServiceHandler(servedBy{name: "net/http"}))
	return strings.TrimPrefix(serve(t, NewServer(mux)), "http://")
}

// sendRaw calls Send at addr over grpc-go with body as the request's
// bytes, and returns the call's error.
func sendRaw(ctx context.Context, t *testing.T, addr string, body []byte) error {
	t.Helper()
	var out []byte
	return grpcConn(t, addr).Invoke(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer key-one"),
		ternv1connect.MessageServiceSendProcedure, body, &out, grpc.ForceCodec(rawCodec{}))
}

// grpcConn is a grpc-go connection to addr, closed when the test ends.
func grpcConn(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// rawCodec sends and receives bytes as they are.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return v.([]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }
