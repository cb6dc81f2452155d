package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	"github.com/ternsms/tern/api/frontdoor/tlstest"
	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestFrontDoorConnectionCaps: each front door closes a client's
// connections beyond its cap at once, and counts them.
func TestFrontDoorConnectionCaps(t *testing.T) {
	r := startConfigured(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1}, func(c *serveConfig) {
		c.api.maxConnsPerClient = 3
		c.smpp = smppFlags{listen: "127.0.0.1:0", maxConnsPerClient: 2, perClientSet: true}
		c.kafka.Partitions = 4
	})
	// Each door answers these bytes on a connection it serves.
	enquireLink := []byte{0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1}
	tests := []struct {
		name, addr string
		cap        int
		hello      []byte
		metric     string
	}{
		{"API", r.apiAddr, 3, []byte("GET /metrics HTTP/1.1\r\nHost: tern\r\n\r\n"), `tern_api_connections_refused_total{reason="per_client"}`},
		{"SMPP gateway", r.smpp.srv.Addr(), 2, enquireLink, `tern_smpp_connections_refused_total`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answered := func(c net.Conn) error {
				c.SetDeadline(time.Now().Add(30 * time.Second))
				if _, err := c.Write(tt.hello); err != nil {
					return err
				}
				_, err := c.Read(make([]byte, 1))
				return err
			}
			var open []net.Conn
			for i := range tt.cap {
				c, err := net.Dial("tcp", tt.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := answered(c); err != nil {
					t.Fatalf("connection %d of %d: %v", i+1, tt.cap, err)
				}
				open = append(open, c)
			}
			// The connection over the cap is closed without an answer.
			over, err := net.Dial("tcp", tt.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer over.Close()
			if err := answered(over); err == nil || isTimeout(err) {
				t.Fatalf("connection over the cap of %d: %v; want it closed unanswered", tt.cap, err)
			}
			for _, c := range open {
				c.Close()
			}
			// The API serves the metrics once it saw those close.
			testkit.Eventually(t, 30*time.Second, func() error {
				resp, err := http.Get("http://" + r.apiAddr + "/metrics")
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil {
					return err
				}
				if v := metricValue(string(b), tt.metric); v < 1 {
					return fmt.Errorf("%s = %v", tt.metric, v)
				}
				return nil
			})
		})
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestTLSFrontDoors: with a certificate, the API serves grpc-go, Connect
// (HTTP/2 and HTTP/1.1) and gRPC-Web clients over TLS, tern's own SMPP
// client binds and submits over TLS to the gateway's second address, and
// SIGHUP has both present a new certificate.
func TestTLSFrontDoors(t *testing.T) {
	dir := t.TempDir()
	first := tlstest.Write(t, dir, 1)
	r := startConfigured(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1}, func(c *serveConfig) {
		c.api.tlsCert, c.api.tlsKey = first.CertFile, first.KeyFile
		c.smpp = smppFlags{listen: "127.0.0.1:0", tlsListen: "127.0.0.1:0"}
		c.kafka.Partitions = 4
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	trusted := []tlstest.Pair{first}
	req := &ternv1.SendRequest{To: "+14155552671", Body: "Your order has shipped"}

	conn, err := grpc.NewClient(r.apiAddr, grpc.WithTransportCredentials(credentials.NewTLS(tlstest.ClientConfig(trusted))))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp := &ternv1.SendResponse{}
	if err := conn.Invoke(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+r.devKey),
		ternv1connect.MessageServiceSendProcedure, req, resp); err != nil || resp.Id == "" {
		t.Fatalf("grpc-go over TLS: %v, %v", resp, err)
	}
	https := func(h2 bool) *http.Client {
		var p http.Protocols
		p.SetHTTP1(!h2)
		p.SetHTTP2(h2)
		return &http.Client{Transport: &http.Transport{TLSClientConfig: tlstest.ClientConfig(trusted), Protocols: &p}}
	}
	for _, tt := range []struct {
		name string
		h2   bool
		opts []connect.ClientOption
	}{
		{"Connect over HTTP/2", true, nil},
		{"gRPC-Web over HTTP/2", true, []connect.ClientOption{connect.WithGRPCWeb()}},
		{"Connect over HTTP/1.1", false, nil},
		{"gRPC-Web over HTTP/1.1", false, []connect.ClientOption{connect.WithGRPCWeb()}},
	} {
		c := ternv1connect.NewMessageServiceClient(https(tt.h2), "https://"+r.apiAddr, append(tt.opts, bearer(r.devKey))...)
		if resp, err := c.Send(ctx, connect.NewRequest(req)); err != nil || resp.Msg.Id == "" {
			t.Fatalf("%s: %v, %v", tt.name, resp, err)
		}
	}

	// The dev account binds over TLS and submits.
	b, err := os.ReadFile(r.smpp.devAccountFile)
	if err != nil {
		t.Fatal(err)
	}
	sys, pw, _ := strings.Cut(strings.TrimSpace(string(b)), ":")
	client, err := smpp.NewClient(smpp.ClientConfig{Name: "customer", Addr: r.smpp.srv.TLSAddr(), SystemID: sys, Password: pw,
		TLS: tlstest.ClientConfig(trusted), ResponseIDFormat: smpp.IDAsIs, ReceiptIDFormat: smpp.IDAsIs, ReconnectMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { client.Run(runCtx); close(done) }()
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		client.Close(cctx)
		ccancel()
		stop()
		<-done
	}()
	acc, err := client.Submit(ctx, &carriers.Submission{To: "+14155552671", From: "SHOP", Text: "Your order has shipped"})
	if err != nil || len(acc.IDs) != 1 {
		t.Fatalf("submit over TLS: %v, %v", acc, err)
	}

	// A new pair in the same files, then SIGHUP: new handshakes on both
	// addresses present it.
	second := tlstest.Write(t, dir, 2)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	both := []tlstest.Pair{first, second}
	for _, addr := range []string{r.apiAddr, r.smpp.srv.TLSAddr()} {
		testkit.Eventually(t, 30*time.Second, func() error {
			c, err := tls.Dial("tcp", addr, tlstest.ClientConfig(both))
			if err != nil {
				return err
			}
			defer c.Close()
			if s := c.ConnectionState().PeerCertificates[0].SerialNumber.Int64(); s != 2 {
				return fmt.Errorf("%s presents serial %d, want 2", addr, s)
			}
			return nil
		})
	}
}
