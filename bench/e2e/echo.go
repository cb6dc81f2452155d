package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"

	"github.com/ternsms/tern/api"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// echoService answers every Send with the same response and does nothing
// else: the ceiling the protocol, the HTTP/2 server and the load
// generator set on this machine.
type echoService struct {
	ternv1connect.UnimplementedMessageServiceHandler
	resp *ternv1.SendResponse
}

func (e echoService) Send(context.Context, *connect.Request[ternv1.SendRequest]) (*connect.Response[ternv1.SendResponse], error) {
	return connect.NewResponse(e.resp), nil
}

// serveEcho runs the echo server on addr in this process until SIGINT or
// SIGTERM, on the same HTTP server tern's API uses (api.NewServer: HTTP/1.1
// and h2c, gRPC, gRPC-Web and Connect), without its request workers. With
// grpcToo, connections whose first call is gRPC go to a grpc-go server
// answering the same way, as tern serve's do (api.WithGRPC). It prints
// "listening ADDR" first.
func serveEcho(addr string, grpcToo bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := newEchoServer(grpcToo)
	fmt.Printf("listening %s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// echoID is the id every echo answer carries.
const echoID = "01JBENCH0ECHO0000000000000"

// newEchoServer is serveEcho's server.
func newEchoServer(grpcToo bool) *api.Server {
	es := echoService{resp: &ternv1.SendResponse{
		Id:       echoID,
		Status:   ternv1.Status_STATUS_QUEUED,
		Segments: 1,
		Encoding: ternv1.Encoding_ENCODING_GSM7,
		Price:    &ternv1.Money{Currency: "USD", Micros: 7900},
	}}
	mux := http.NewServeMux()
	mux.Handle(ternv1connect.NewMessageServiceHandler(es))
	// Without tern's request workers: the echo handler never grows its
	// stack, so they would only add a handoff to every call, and the
	// baseline is what a plain http.Server with Connect does.
	opts := []api.ServerOption{api.WithRequestWorkers(0)}
	if grpcToo {
		g := grpc.NewServer()
		g.RegisterService(&grpc.ServiceDesc{
			ServiceName: ternv1connect.MessageServiceName,
			HandlerType: (*any)(nil),
			Methods: []grpc.MethodDesc{{MethodName: "Send", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				in := &ternv1.SendRequest{}
				if err := dec(in); err != nil {
					return nil, err
				}
				return es.resp, nil
			}}},
		}, struct{}{})
		opts = append(opts, api.WithGRPC(g))
	}
	return api.NewServer(mux, opts...)
}

// child is a process the harness started and stops.
type child struct {
	cmd  *exec.Cmd
	addr string
}

// startEcho starts this program again as the echo server (see serveEcho)
// and waits for its address.
func startEcho(grpcToo bool) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-serve-echo", "127.0.0.1:0"}
	if grpcToo {
		args = append(args, "-echo-grpc")
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("echo server did not start: %q %v", line, err)
	}
	return &child{cmd: cmd, addr: addr}, nil
}

// stop asks the child to stop and waits up to wait before killing it.
func (c *child) stop(wait time.Duration) error {
	if c == nil || c.cmd.Process == nil {
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		return err
	case <-time.After(wait):
		_ = c.cmd.Process.Kill()
		<-done
		return fmt.Errorf("%s did not stop within %v; killed", c.cmd.Path, wait)
	}
}
