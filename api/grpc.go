package api

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	protocodec "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// NewGRPCServer returns a grpc-go server for the gRPC calls a Server
// hands it (see WithGRPC): every tern.v1 method, answered by the same
// handlers as NewHandler's.
//
// grpc-go's own HTTP/2 transport gathers the frames of many calls into one
// write, where net/http writes each response on its own, so a gRPC call
// costs less server CPU on it (bench/RESULTS.md).
//
// A call is authenticated from its headers before grpc-go reads its
// message, which is bounded by MaxRequestBytes after decompression.
// gRPC health and reflection, which answer anyone, are left to net/http,
// where their requests are bounded by 64 KiB: grpc-go has one message
// limit for every method. A connection whose first call is one of them
// goes to net/http (split.go); on a grpc-go connection they are
// Unimplemented.
//
// Of the options, WithRequestWorkers and WithReadTimeout apply.
func NewGRPCServer(d Deps, opts ...ServerOption) (*grpc.Server, error) {
	d, err := d.check()
	if err != nil {
		return nil, err
	}
	o := newServerOptions(opts)
	b := bridge{d: d, readTimeout: o.readTimeout, methods: map[string]bool{}}
	services := b.services()
	for _, sd := range services {
		for _, m := range sd.Methods {
			b.methods["/"+sd.ServiceName+"/"+m.MethodName] = true
		}
		for _, st := range sd.Streams {
			b.methods["/"+sd.ServiceName+"/"+st.StreamName] = true
		}
	}
	sopts := append(b.serverOptions(), grpc.MaxConcurrentStreams(maxStreams))
	if o.workers > 0 {
		// Long-lived goroutines for calls, as workers does for net/http.
		sopts = append(sopts, grpc.NumStreamWorkers(uint32(o.workers)))
	}
	g := grpc.NewServer(sopts...)
	for i := range services {
		g.RegisterService(&services[i], struct{}{})
	}
	registerCampaigns(g, b)
	return g, nil
}

// verifyMethods are tern.v1.VerifyService's methods for grpc-go.
func verifyMethods(b bridge, v ternv1connect.VerifyServiceHandler) []grpc.MethodDesc {
	return []grpc.MethodDesc{
		unary(b, "StartVerification", v.StartVerification),
		unary(b, "CheckVerification", v.CheckVerification),
		unary(b, "CancelVerification", v.CancelVerification),
		unary(b, "GetVerification", v.GetVerification),
		unary(b, "GetVerifyPolicy", v.GetVerifyPolicy),
		unary(b, "UpdateVerifyPolicy", v.UpdateVerifyPolicy),
	}
}

// serverOptions are what the bridge's methods need from their server:
// the bridge's codec, its tap, and the message limit.
func (b bridge) serverOptions() []grpc.ServerOption {
	return []grpc.ServerOption{bridgeCodec(), grpc.InTapHandle(b.tap), grpc.MaxRecvMsgSize(MaxRequestBytes)}
}

// tap runs when a call's headers arrive, before grpc-go reads its
// message. It refuses a call to one of the bridge's methods without a
// known API key or that the key may not make, and starts the read timeout: a call whose message is not
// all in when it runs out is canceled (unary stops the clock). Calls to
// other methods pass; grpc-go answers them Unimplemented unread.
func (b bridge) tap(ctx context.Context, info *tap.Info) (context.Context, error) {
	if !b.methods[info.FullMethodName] {
		return ctx, nil
	}
	var auth string
	if v := info.Header.Get("authorization"); len(v) > 0 {
		auth = v[0]
	}
	who, cerr := authorize(b.d.Keys, auth, info.FullMethodName)
	if cerr != nil {
		return nil, grpcStatus(cerr)
	}
	c := &call{Caller: who}
	if b.readTimeout > 0 {
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		c.read = time.AfterFunc(b.readTimeout, func() { cancel(errReadTimeout) })
	}
	return context.WithValue(ctx, callKey{}, c), nil
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
// its serverOptions on their server.
type bridge struct {
	d           Deps
	readTimeout time.Duration
	methods     map[string]bool // full names of the methods it serves
}

// unary adapts one Connect handler to grpc-go: it answers a request that
// does not decode as Connect does, runs the call as the tenant the tap
// authenticated, and turns the handler's Connect error into the gRPC
// status with the same code and message. A panic becomes Internal and is
// logged with its stack; net/http would log it and reset the stream,
// grpc-go would end the process.
func unary[Req, Res any, PReq interface {
	*Req
	proto.Message
}](b bridge, name string, f func(context.Context, *connect.Request[Req]) (*connect.Response[Res], error)) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (out any, err error) {
			c, _ := ctx.Value(callKey{}).(*call)
			if c == nil {
				return nil, status.Error(codes.Internal, "grpc bridge without its tap")
			}
			in := PReq(new(Req))
			d := decoding{msg: in}
			err = dec(&d) // reads the message
			if c.read != nil && !c.read.Stop() {
				return nil, status.Error(codes.DeadlineExceeded, errReadTimeout.Error())
			}
			if err != nil {
				return nil, err // a status: too large, canceled, …
			}
			if d.err != nil {
				// Connect's words for it.
				return nil, status.Errorf(codes.InvalidArgument, "unmarshal message: unmarshal into %T: %v", in, d.err)
			}
			defer func() {
				if p := recover(); p != nil {
					b.d.Log.Error("panic in a gRPC handler", "method", name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					out, err = nil, status.Error(codes.Internal, "internal error")
				}
			}()
			resp, err := f(ctx, connect.NewRequest((*Req)(in)))
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
