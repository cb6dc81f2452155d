package api

import (
	"context"
	"fmt"
	"runtime/debug"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// serverStreaming adapts one server-streaming handler to grpc-go, as unary
// does a unary one: f gets the request and a send function, and its
// Connect error becomes the call's gRPC status.
func serverStreaming[Req, Res any, PReq interface {
	*Req
	proto.Message
}](b bridge, name string, f func(context.Context, *Req, func(*Res) error) error) grpc.StreamDesc {
	return grpc.StreamDesc{
		StreamName:    name,
		ServerStreams: true,
		Handler: func(_ any, ss grpc.ServerStream) (err error) {
			ctx := ss.Context()
			c, _ := ctx.Value(callKey{}).(*call)
			if c == nil {
				return status.Error(codes.Internal, "grpc bridge without its tap")
			}
			in := PReq(new(Req))
			d := decoding{msg: in}
			err = ss.RecvMsg(&d)
			if c.read != nil && !c.read.Stop() {
				return status.Error(codes.DeadlineExceeded, errReadTimeout.Error())
			}
			if err != nil {
				return err
			}
			if d.err != nil {
				return status.Errorf(codes.InvalidArgument, "unmarshal message: unmarshal into %T: %v", in, d.err)
			}
			defer func() {
				if p := recover(); p != nil {
					b.d.Log.Error("panic in a gRPC handler", "method", name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					err = status.Error(codes.Internal, "internal error")
				}
			}()
			if err := f(ctx, (*Req)(in), func(r *Res) error { return ss.SendMsg(r) }); err != nil {
				return grpcStatus(err)
			}
			return nil
		},
	}
}
