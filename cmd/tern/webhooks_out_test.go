package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline/webhooks"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// testDNS is a DNS server on a loopback UDP port answering A queries for
// its names, and nothing else: the test's resolver.
func testDNS(t *testing.T, names map[string]netip.Addr) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out, err := dnsAnswer(buf[:n], names); err == nil {
				pc.WriteTo(out, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

// dnsAnswer answers one query: the name's IPv4 address to an A
// question, no records to any other, NXDOMAIN for an unknown name.
func dnsAnswer(query []byte, names map[string]netip.Addr) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	addr, known := names[strings.TrimSuffix(q.Name.String(), ".")]
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	if known && q.Type == dnsmessage.TypeA {
		rr := dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60}
		if err := b.AResource(rr, dnsmessage.AResource{A: addr.As4()}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// receiver is a tenant's webhook endpoint: it verifies every post's
// signature, answers 500 to the first three posts of each event id and
// 200 after, and keeps what it got.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	tries  map[string]int    // event id -> posts
	bodies map[string]string // event id -> the body of its first post
	bad    []string          // what failed verification, and why
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{tries: map[string]int{}, bodies: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	var ev struct {
		ID string `json:"id"`
	}
	if err := webhooks.Verify(req.Header.Get(webhooks.SignatureHeader), body, r.secret, 5*time.Minute, time.Now()); err != nil {
		r.bad = append(r.bad, err.Error())
	} else if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || req.Header.Get("Tern-Event-Id") != ev.ID {
		r.bad = append(r.bad, fmt.Sprintf("event id %q, header %q: %v", ev.ID, req.Header.Get("Tern-Event-Id"), err))
	}
	if prev, ok := r.bodies[ev.ID]; ok && prev != string(body) {
		r.bad = append(r.bad, "event "+ev.ID+" posted again with another body")
	}
	r.bodies[ev.ID] = string(body)
	r.tries[ev.ID]++
	if r.tries[ev.ID] <= 3 {
		w.WriteHeader(http.StatusInternalServerError)
	}
}

// statusEvent returns the id of the message.status event of message
// posted most often, and how often it was posted.
func (r *receiver) statusEvent(message string) (string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	best, most := "", 0
	for id, b := range r.bodies {
		if strings.Contains(b, `"message_id":"`+message+`"`) && r.tries[id] > most {
			best, most = id, r.tries[id]
		}
	}
	return best, most
}

// The real binary posts message.status events to a tenant's endpoint,
// signed: the receiver verifies every post, fails the first three tries,
// and the fourth succeeds with the same event id and body. Endpoints at
// 169.254.169.254, and at names the test's resolver gives 169.254.169.254
// and 10.0.0.1, are refused and logged without being dialled.
func TestWebhooksOut(t *testing.T) {
	t.Parallel()
	dns := testDNS(t, map[string]netip.Addr{"metadata.shop.test": netip.MustParseAddr("169.254.169.254"),
		"hooks.shop.test": netip.MustParseAddr("10.0.0.1")})
	c, adminKey := storeCluster(t, "--webhook-allow-private", "127.0.0.1/32", "--webhook-resolver", dns)
	in := c.start("a")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	hooks := ternv1connect.NewWebhookServiceClient(h2c(), "http://"+in.api, bearer(adminKey))
	rcv := newReceiver(t)
	create := func(url string) (*ternv1.CreateWebhookEndpointResponse, error) {
		resp, err := hooks.CreateWebhookEndpoint(ctx, connect.NewRequest(&ternv1.CreateWebhookEndpointRequest{TenantId: "shop", Url: url,
			Events: []string{"message.status"}}))
		if err != nil {
			return nil, err
		}
		return resp.Msg, nil
	}
	ep, err := create(rcv.srv.URL + "/tern")
	if err != nil {
		t.Fatalf("CreateWebhookEndpoint: %v", err)
	}
	rcv.mu.Lock()
	rcv.secret = ep.Secret
	rcv.mu.Unlock()
	if _, err := create("http://169.254.169.254/latest/meta-data/"); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("an endpoint at 169.254.169.254: %v, want InvalidArgument", err)
	}
	_, port, _ := net.SplitHostPort(rcv.srv.Listener.Addr().String())
	var refused []string
	for _, host := range []string{"metadata.shop.test", "hooks.shop.test"} {
		e, err := create("http://" + host + ":" + port + "/ssrf")
		if err != nil {
			t.Fatalf("CreateWebhookEndpoint %s: %v", host, err)
		}
		refused = append(refused, e.Endpoint.Id)
	}

	msgs := ternv1connect.NewMessageServiceClient(h2c(), "http://"+in.api, bearer(c.key))
	sent, err := msgs.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: "+14155552691", Body: "Your order #1001 has shipped"}))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	testkit.Eventually(t, 4*time.Minute, func() error {
		if id, tries := rcv.statusEvent(sent.Msg.Id); tries < 4 {
			return fmt.Errorf("status events of %s: %q posted %d times, want 4", sent.Msg.Id, id, tries)
		}
		return nil
	})
	id, tries := rcv.statusEvent(sent.Msg.Id)
	rcv.mu.Lock()
	if len(rcv.bad) > 0 {
		t.Errorf("posts that failed verification: %q", rcv.bad)
	}
	rcv.mu.Unlock()
	reads := ternv1connect.NewWebhookServiceClient(h2c(), "http://"+in.api, bearer(c.key)) // the read scope
	checkDelivered(t, ctx, reads, ep.Endpoint.Id, id, tries)
	for i, ep := range refused {
		checkRefused(t, ctx, reads, ep, []string{"169.254.169.254", "10.0.0.1"}[i])
	}
	log, _ := os.ReadFile(in.log)
	for _, host := range []string{"metadata.shop.test", "hooks.shop.test"} {
		if !strings.Contains(string(log), "webhook address refused; not dialled") || !strings.Contains(string(log), "host="+host) {
			t.Errorf("tern logged no refusal of %s:\n%s", host, tail(string(log), 20))
		}
	}
}

// checkDelivered checks the endpoint's log: event id delivered after
// three 500s.
func checkDelivered(t *testing.T, ctx context.Context, hooks ternv1connect.WebhookServiceClient, endpoint, id string, tries int) {
	t.Helper()
	testkit.Eventually(t, time.Minute, func() error {
		resp, err := hooks.ListWebhookDeliveries(ctx, connect.NewRequest(&ternv1.ListWebhookDeliveriesRequest{EndpointId: endpoint}))
		if err != nil {
			return err
		}
		for _, d := range resp.Msg.Deliveries {
			if d.EventId != id {
				continue
			}
			var codes []int32
			for _, a := range d.Attempts {
				codes = append(codes, a.StatusCode)
			}
			if d.State != ternv1.WebhookDeliveryState_WEBHOOK_DELIVERY_STATE_DELIVERED || fmt.Sprint(codes) != "[500 500 500 200]" || tries != 4 {
				return fmt.Errorf("event %s: %v after attempts %v (%d posts), want delivered after 500 500 500 200", id, d.State, codes, tries)
			}
			return nil
		}
		return fmt.Errorf("event %s not in the endpoint's log", id)
	})
}

// checkRefused checks that the endpoint's deliveries failed on the
// address refusal of addr, not on a connection.
func checkRefused(t *testing.T, ctx context.Context, hooks ternv1connect.WebhookServiceClient, endpoint, addr string) {
	t.Helper()
	testkit.Eventually(t, time.Minute, func() error {
		resp, err := hooks.ListWebhookDeliveries(ctx, connect.NewRequest(&ternv1.ListWebhookDeliveriesRequest{EndpointId: endpoint}))
		if err != nil {
			return err
		}
		for _, d := range resp.Msg.Deliveries {
			for _, a := range d.Attempts {
				if a.StatusCode != 0 || !strings.Contains(a.Error, "("+addr+")") || !strings.Contains(a.Error, "address refused") {
					return fmt.Errorf("endpoint %s attempt %d %q, want the refusal of %s", endpoint, a.StatusCode, a.Error, addr)
				}
			}
			if len(d.Attempts) > 0 {
				return nil
			}
		}
		return fmt.Errorf("endpoint %s: no attempt yet", endpoint)
	})
}
