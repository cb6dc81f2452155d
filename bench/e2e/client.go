package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"connectrpc.com/connect"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// clientConfig is how the load generator talks to a server.
type clientConfig struct {
	protocol   string // "grpc" or "connect"
	grpcGo     bool   // gRPC calls from grpc-go client connections instead of connect-go
	conns      int    // HTTP/2 connections; calls go round-robin over them
	acceptGzip bool
	key        string
}

func (c clientConfig) options() []connect.ClientOption {
	var opts []connect.ClientOption
	if c.protocol == "grpc" {
		opts = append(opts, connect.WithGRPC())
	}
	if !c.acceptGzip {
		// Like grpc-go, k6 and ghz by default: ask for plain responses.
		opts = append(opts, connect.WithAcceptCompression("gzip", nil, nil))
	}
	if c.key != "" {
		auth := "Bearer " + c.key
		opts = append(opts, connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				req.Header().Set("Authorization", auth)
				return next(ctx, req)
			}
		})))
	}
	return opts
}

// h2c returns an HTTP client speaking cleartext HTTP/2 with prior
// knowledge over one connection of its own.
func h2c() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{
		Protocols:       &p,
		MaxConnsPerHost: 1,
		HTTP2:           &http.HTTP2Config{PingTimeout: 30 * time.Second},
	}}
}

// sendLoad returns a sender calling MessageService.Send at baseURL with
// reqs[i % len(reqs)], spreading the calls over c.conns connections.
func sendLoad(baseURL string, c clientConfig, reqs []*ternv1.SendRequest) (sender, error) {
	if c.conns < 1 {
		return nil, fmt.Errorf("-conns %d: want at least 1", c.conns)
	}
	if c.grpcGo {
		return grpcGoLoad(baseURL, c, reqs)
	}
	clients := make([]ternv1connect.MessageServiceClient, c.conns)
	for i := range clients {
		clients[i] = ternv1connect.NewMessageServiceClient(h2c(), baseURL, c.options()...)
	}
	return func(ctx context.Context, i int) (string, error) {
		resp, err := clients[i%len(clients)].Send(ctx, connect.NewRequest(reqs[i%len(reqs)]))
		if err != nil {
			return "", err
		}
		return resp.Msg.GetId(), nil
	}, nil
}

// grpcGoLoad is sendLoad with grpc-go client connections, as gRPC load
// tools such as ghz make their calls.
func grpcGoLoad(baseURL string, c clientConfig, reqs []*ternv1.SendRequest) (sender, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("base URL %q: %w", baseURL, err)
	}
	conns := make([]*grpc.ClientConn, c.conns)
	for i := range conns {
		if conns[i], err = grpc.NewClient(u.Host, grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
			return nil, fmt.Errorf("grpc-go client for %s: %w", u.Host, err)
		}
	}
	var md metadata.MD
	if c.key != "" {
		md = metadata.Pairs("authorization", "Bearer "+c.key)
	}
	return func(ctx context.Context, i int) (string, error) {
		if md != nil {
			ctx = metadata.NewOutgoingContext(ctx, md)
		}
		var resp ternv1.SendResponse
		if err := conns[i%len(conns)].Invoke(ctx, ternv1connect.MessageServiceSendProcedure, reqs[i%len(reqs)], &resp); err != nil {
			return "", err
		}
		return resp.GetId(), nil
	}, nil
}
