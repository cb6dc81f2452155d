package api

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/ternsms/tern/api/frontdoor"
	"github.com/ternsms/tern/api/frontdoor/tlstest"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// tlsClient is an HTTP client over TLS trusting pair, speaking HTTP/2 or
// only HTTP/1.1.
func tlsClient(pair tlstest.Pair, h2 bool) *http.Client {
	var p http.Protocols
	p.SetHTTP1(!h2)
	p.SetHTTP2(h2)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tlstest.ClientConfig([]tlstest.Pair{pair}), Protocols: &p}}
}

// Over TLS every client kind is served, split between grpc-go and
// net/http as over cleartext; without grpc-go net/http serves them all.
func TestTLSServesEveryProtocol(t *testing.T) {
	t.Parallel()
	pair := tlstest.Write(t, t.TempDir(), 1)
	cert, err := frontdoor.LoadCertificate(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	split, _ := splitServerWith(t, WithTLS(cert.ServerConfig()))
	unsplit, _ := serveSend(t, splitTimeout, WithTLS(cert.ServerConfig()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	grpcGo := func(addr string) func() (string, error) {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(tlstest.ClientConfig([]tlstest.Pair{pair}))))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return func() (string, error) {
			resp := &ternv1.SendResponse{}
			err := conn.Invoke(ctx, ternv1connect.MessageServiceSendProcedure, &ternv1.SendRequest{Body: "hi"}, resp)
			return resp.Id, err
		}
	}
	viaConnect := func(addr string, hc *http.Client, opts ...connect.ClientOption) func() (string, error) {
		c := ternv1connect.NewMessageServiceClient(hc, "https://"+addr, opts...)
		return func() (string, error) {
			resp, err := c.Send(ctx, connect.NewRequest(&ternv1.SendRequest{Body: "hi"}))
			if err != nil {
				return "", err
			}
			return resp.Msg.Id, nil
		}
	}
	tests := []struct {
		name string
		send func() (string, error)
		want string
	}{
		{"grpc-go client", grpcGo(split), "grpc-go"},
		{"Connect client, gRPC over h2", viaConnect(split, tlsClient(pair, true), connect.WithGRPC()), "grpc-go"},
		{"Connect client, Connect over h2", viaConnect(split, tlsClient(pair, true)), "net/http"},
		{"Connect client, gRPC-Web over h2", viaConnect(split, tlsClient(pair, true), connect.WithGRPCWeb()), "net/http"},
		{"Connect client, Connect over HTTP/1.1", viaConnect(split, tlsClient(pair, false)), "net/http"},
		{"Connect client, gRPC-Web over HTTP/1.1", viaConnect(split, tlsClient(pair, false), connect.WithGRPCWeb()), "net/http"},
		{"without grpc-go: grpc-go client", grpcGo(unsplit), "net/http"},
		{"without grpc-go: Connect over h2", viaConnect(unsplit, tlsClient(pair, true)), "net/http"},
		{"without grpc-go: Connect over HTTP/1.1", viaConnect(unsplit, tlsClient(pair, false)), "net/http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 3 {
				got, err := tt.send()
				if err != nil || got != tt.want {
					t.Fatalf("call %d: served by %q, %v; want %s", i, got, err, tt.want)
				}
			}
		})
	}

	// A cleartext client gets nothing: the server wants a handshake.
	_, err = viaConnect(split, h2cClient())()
	if err == nil {
		t.Fatal("a cleartext call was served on the TLS port")
	}
}

// A client whose handshake fails, or that never starts one, is closed.
func TestTLSHandshakeRequired(t *testing.T) {
	t.Parallel()
	pair := tlstest.Write(t, t.TempDir(), 1)
	cert, err := frontdoor.LoadCertificate(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := splitServerWith(t, WithTLS(cert.ServerConfig()))
	other := tlstest.Write(t, t.TempDir(), 2) // trusts a certificate the server does not have
	c, err := tls.Dial("tcp", addr, tlstest.ClientConfig([]tlstest.Pair{other}, "h2"))
	if err == nil {
		c.Close()
		t.Fatal("handshake trusting another certificate succeeded")
	}
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := raw.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := readLine(raw); err == nil && line != "" && line[0] == 'H' {
		t.Fatalf("cleartext request answered %q", line)
	}
}

// splitServerWith is splitServer with more options.
func splitServerWith(t *testing.T, opts ...ServerOption) (string, *countingListener) {
	t.Helper()
	g := grpcSend(func(ctx context.Context, in *ternv1.SendRequest) (*ternv1.SendResponse, error) {
		return &ternv1.SendResponse{Id: "grpc-go"}, nil
	})
	return serveSend(t, splitTimeout, append(opts, WithGRPC(g))...)
}
