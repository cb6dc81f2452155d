package api

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	protocodec "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// NewGRPCServer returns a grpc-go server for the gRPC calls a Server
// hands it (see WithGRPC): every tern.v1 method, answered by the same
// handlers as NewHandler's, plus gRPC health and reflection (both without
// authentication).
//
// grpc-go's own HTTP/2 transport gathers the frames of many calls into one
// write, where net/http writes each response on its own: an echo handler
// took 31 µs of server CPU a call on it, against 62–67 µs behind net/http
// (bench/RESULTS.md, end to end, commit fe1b1a4).
//
// Of the options, only WithRequestWorkers applies.
func NewGRPCServer(d Deps, opts ...ServerOption) (*grpc.Server, error) {
	d, err := d.check()
	if err != nil {
		return nil, err
	}
	o := serverOptions{workers: defaultWorkers}
	for _, opt := range opts {
		opt.apply(&o)
	}
	b := bridge{d: d}
	// A valid SendBatch (1,000 messages of up to 1,600 characters, four
	// bytes each at most) can pass grpc-go's default 4 MiB.
	sopts := []grpc.ServerOption{grpc.MaxRecvMsgSize(16 << 20), bridgeCodec()}
	if o.workers > 0 {
		// Long-lived goroutines for calls, as workers does for net/http.
		sopts = append(sopts, grpc.NumStreamWorkers(uint32(o.workers)))
	}
	g := grpc.NewServer(sopts...)
	ms := &messageService{d: b.d}
	g.RegisterService(&grpc.ServiceDesc{
		ServiceName: ternv1connect.MessageServiceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{
			unary(b, "Send", ms.Send),
			unary(b, "SendBatch", ms.SendBatch),
			unary(b, "Estimate", ms.Estimate),
			unary(b, "GetMessage", ms.GetMessage),
			unary(b, "Cancel", ms.Cancel),
		},
		Metadata: ternv1.File_tern_v1_message_service_proto.Path(),
	}, struct{}{})
	as := &analyticsService{d: b.d}
	g.RegisterService(&grpc.ServiceDesc{
		ServiceName: ternv1connect.AnalyticsServiceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{
			unary(b, "GetCampaignStats", as.GetCampaignStats),
		},
		Metadata: ternv1.File_tern_v1_analytics_service_proto.Path(),
	}, struct{}{})
	hs := health.NewServer()
	for _, svc := range []string{"", ternv1connect.MessageServiceName, ternv1connect.AnalyticsServiceName} {
		hs.SetServingStatus(svc, healthpb.HealthCheckResponse_SERVING)
	}
	healthpb.RegisterHealthServer(g, hs)
	reflection.Register(g)
	return g, nil
}

// bridgeCodec is the server option the bridge's methods need: grpc-go's
// protobuf codec, except that a request the bridge decodes keeps its
// decoding error for the bridge to answer. grpc-go itself answers one
// with Internal; Connect, and so the bridge, with InvalidArgument.
func bridgeCodec() grpc.ServerOption {
	return grpc.ForceServerCodecV2(requestCodec{encoding.GetCodecV2(protocodec.Name)})
}

type requestCodec struct{ encoding.CodecV2 }

// decoding is a request on its way in and why it did not decode.
type decoding struct {
	msg proto.Message
	err error
}

func (c requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	d, ok := v.(*decoding)
	if !ok {
		return c.CodecV2.Unmarshal(data, v)
	}
	d.err = c.CodecV2.Unmarshal(data, d.msg)
	return nil
}

// bridge runs the Connect handlers for grpc-go calls. Its methods need
// the bridgeCodec option on their server.
type bridge struct{ d Deps }

// unary adapts one Connect handler to grpc-go: it answers a request that
// does not decode as Connect does, authenticates the call as
// authInterceptor does, and turns the handler's Connect error into the
// gRPC status with the same code and message. A panic becomes Internal
// and is logged with its stack; net/http would log it and reset the
// stream, grpc-go would end the process.
func unary[Req, Res any, PReq interface {
	*Req
	proto.Message
}](b bridge, name string, f func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error)) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (out any, err error) {
			in := PReq(new(Req))
			d := decoding{msg: in}
			if err := dec(&d); err != nil {
				return nil, err // grpc-go has answered already
			}
			if d.err != nil {
				// Connect's words for it.
				return nil, status.Errorf(codes.InvalidArgument, "unmarshal message: unmarshal into %T: %v", in, d.err)
			}
			var auth string
			if v := metadata.ValueFromIncomingContext(ctx, "authorization"); len(v) > 0 {
				auth = v[0]
			}
			tenant, err := b.d.Keys.authorize(auth)
			if err != nil {
				return nil, status.Error(codes.Unauthenticated, err.Error())
			}
			defer func() {
				if p := recover(); p != nil {
					b.d.Log.Error("panic in a gRPC handler", "method", name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					out, err = nil, status.Error(codes.Internal, "internal error")
				}
			}()
			resp, err := f(context.WithValue(ctx, tenantKey{}, tenant), connect.NewRequest((*Req)(in)))
			if err != nil {
				return nil, grpcStatus(err)
			}
			return resp.Msg, nil
		},
	}
}

// grpcStatus is a Connect error as a gRPC status; the two protocols share
// their codes.
func grpcStatus(err error) error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return status.Error(codes.Code(ce.Code()), ce.Message())
	}
	return status.Error(codes.Unknown, err.Error())
}
