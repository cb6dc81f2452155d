package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// TestClientsReachEcho makes calls from both client stacks to both echo
// servers: the Connect handler alone, and split with grpc-go.
func TestClientsReachEcho(t *testing.T) {
	reqs := []*ternv1.SendRequest{{To: "+14155552671", Body: "hello"}}
	for _, split := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := newEchoServer(split)
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Shutdown(context.Background()) })
		for _, grpcGo := range []bool{false, true} {
			send, err := sendLoad("http://"+ln.Addr().String(), clientConfig{protocol: "grpc", grpcGo: grpcGo, conns: 2, key: "k"}, reqs)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			for i := range 4 {
				id, err := send(ctx, i)
				if err != nil || id != echoID {
					t.Errorf("grpc-go server %v, grpc-go client %v: call %d = %q, %v; want %q", split, grpcGo, i, id, err, echoID)
				}
			}
			cancel()
		}
	}
}

// TestErrKeyNamesGRPCCodes counts a grpc-go client's errors by code, as
// a connect-go client's are.
func TestErrKeyNamesGRPCCodes(t *testing.T) {
	send, err := sendLoad("http://127.0.0.1:1", clientConfig{protocol: "grpc", grpcGo: true, conns: 1}, []*ternv1.SendRequest{{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = send(ctx, 0)
	if got := errKey(err); !strings.HasPrefix(got, "unavailable: ") {
		t.Errorf("errKey(%v) = %q, want it to start with the code", err, got)
	}
}
