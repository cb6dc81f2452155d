package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/pgtest"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// startTestSystem starts the whole system as `tern serve --dev` does, on
// free ports, against the test ClickHouse.
func startTestSystem(t *testing.T, sim smscsim.Config) *running {
	t.Helper()
	return startConfigured(t, sim, func(*serveConfig) {})
}

// startConfigured starts the whole system as startTestSystem does, with
// the changes change makes to its configuration.
func startConfigured(t *testing.T, sim smscsim.Config, change func(*serveConfig)) *running {
	t.Helper()
	chCfg := chtest.Config(t)
	c := defaultServeConfig(t)
	c.dev = true
	c.dataDir = t.TempDir()
	c.listen = "127.0.0.1:0"
	c.kafkaListen = "127.0.0.1:0" // the broker's own port, no race for it
	c.clickhouseAddr = chCfg.Addr
	c.clickhouseDatabase = chCfg.Database
	c.postgresURL = pgtest.URL(t)
	c.sim = sim
	change(&c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := testkit.Logger(t, slog.LevelWarn)
	r, err := start(ctx, c, log)
	if r != nil {
		t.Cleanup(r.stack.shutdown)
	}
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return r
}

// h2c is an HTTP client speaking HTTP/2 without TLS, as gRPC needs.
func h2c() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p}}
}

// bearer adds the API key to every call.
func bearer(key string) connect.Option {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+key)
			return next(ctx, req)
		}
	}))
}

// forgeID returns id with its last character changed: well formed, but
// not an id tern issued to anyone.
func forgeID(id string) string {
	last := "A"
	if id[len(id)-1] == 'A' {
		last = "B"
	}
	return id[:len(id)-1] + last
}

// sender sends one request over one protocol.
type sender func(ctx context.Context, req *ternv1.SendRequest) (*ternv1.SendResponse, error)

func connectSender(url, key string, opts ...connect.ClientOption) sender {
	c := ternv1connect.NewMessageServiceClient(h2c(), url, append(opts, bearer(key))...)
	return func(ctx context.Context, req *ternv1.SendRequest) (*ternv1.SendResponse, error) {
		resp, err := c.Send(ctx, connect.NewRequest(req))
		if err != nil {
			return nil, err
		}
		return resp.Msg, nil
	}
}

// grpcClient is a grpc-go connection to addr, closed when the test ends.
func grpcClient(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// grpcGoSender is a plain grpc-go client: no Connect code on its side.
func grpcGoSender(t *testing.T, addr, key string) sender {
	conn := grpcClient(t, addr)
	return func(ctx context.Context, req *ternv1.SendRequest) (*ternv1.SendResponse, error) {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
		resp := &ternv1.SendResponse{}
		err := conn.Invoke(ctx, ternv1connect.MessageServiceSendProcedure, req, resp)
		return resp, err
	}
}

// TestEndToEnd sends 1,000 messages through the API over all four client
// kinds, and checks that each reaches the final state the seeded simulator
// decides for it, in GetMessage and in GetCampaignStats.
func TestEndToEnd(t *testing.T) {
	simCfg := smscsim.Config{
		Addr:             "127.0.0.1:0",
		Seed:             42,
		DeliveredRatio:   0.8,
		UndeliveredRatio: 0.15,
		ExpiredRatio:     0.05,
		ReceiptDelay:     20 * time.Millisecond,
	}
	r := startTestSystem(t, simCfg)
	url := "http://" + r.apiAddr
	senders := []sender{
		connectSender(url, r.devKey),
		connectSender(url, r.devKey, connect.WithGRPC()),
		connectSender(url, r.devKey, connect.WithGRPCWeb()),
		grpcGoSender(t, r.apiAddr, r.devKey),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const n = 1000
	type sent struct{ id, to, body string }
	msgs := make([]sent, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				to := fmt.Sprintf("+1415555%04d", 2000+i%5000)
				body := fmt.Sprintf("Your order #%d has shipped. Track it: https://shop.example/t/%d", 10000+i, i)
				resp, err := senders[i%len(senders)](ctx, &ternv1.SendRequest{To: to, Body: body, CampaignId: "e2e"})
				if err != nil {
					errs <- fmt.Errorf("send %d: %w", i, err)
					return
				}
				if resp.Status != ternv1.Status_STATUS_QUEUED || resp.Segments != 1 || len(resp.Id) > 64 {
					errs <- fmt.Errorf("send %d: response %v", i, resp)
					return
				}
				msgs[i] = sent{resp.Id, to, body}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	want := map[ternv1.Status]int64{}
	byID := map[string]ternv1.Status{}
	for _, m := range msgs {
		s := map[string]ternv1.Status{
			"DELIVRD": ternv1.Status_STATUS_DELIVERED,
			"UNDELIV": ternv1.Status_STATUS_UNDELIVERED,
			"EXPIRED": ternv1.Status_STATUS_EXPIRED,
			"REJECTD": ternv1.Status_STATUS_REJECTED,
		}[simCfg.Outcome(m.to, m.body)]
		want[s]++
		byID[m.id] = s
	}
	if want[ternv1.Status_STATUS_DELIVERED] == 0 || want[ternv1.Status_STATUS_UNDELIVERED] == 0 {
		t.Fatalf("the simulator's outcomes are not mixed: %v", want)
	}

	stats := ternv1connect.NewAnalyticsServiceClient(h2c(), url, bearer(r.devKey))
	testkit.Eventually(t, 2*time.Minute, func() error {
		resp, err := stats.GetCampaignStats(ctx, connect.NewRequest(&ternv1.GetCampaignStatsRequest{CampaignId: "e2e"}))
		if err != nil {
			return err
		}
		s := resp.Msg
		got := map[ternv1.Status]int64{
			ternv1.Status_STATUS_DELIVERED:   s.Delivered,
			ternv1.Status_STATUS_UNDELIVERED: s.Undelivered,
			ternv1.Status_STATUS_EXPIRED:     s.Expired,
			ternv1.Status_STATUS_REJECTED:    s.Rejected,
		}
		for _, st := range []ternv1.Status{ternv1.Status_STATUS_DELIVERED, ternv1.Status_STATUS_UNDELIVERED, ternv1.Status_STATUS_EXPIRED, ternv1.Status_STATUS_REJECTED} {
			if got[st] != want[st] {
				return fmt.Errorf("stats %v, want %d accepted ending %v", s, n, want)
			}
		}
		if s.Accepted != n || s.Queued+s.Submitted+s.Failed+s.Unknown != 0 {
			return fmt.Errorf("stats %v, want %d accepted ending %v", s, n, want)
		}
		if s.Segments != n {
			return fmt.Errorf("segments %d, want %d", s.Segments, n)
		}
		return nil
	})

	// Every message reports its own final state.
	client := ternv1connect.NewMessageServiceClient(h2c(), url, bearer(r.devKey))
	for id, wantStatus := range byID {
		var resp *connect.Response[ternv1.GetMessageResponse]
		testkit.Eventually(t, time.Minute, func() error {
			var err error
			resp, err = client.GetMessage(ctx, connect.NewRequest(&ternv1.GetMessageRequest{Id: id}))
			if connect.CodeOf(err) == connect.CodeResourceExhausted {
				return err // over the tenant's report queries a second: wait
			}
			if err != nil {
				t.Fatalf("GetMessage %s: %v", id, err)
			}
			return nil
		})
		m := resp.Msg.Message
		if m.Status != wantStatus || m.Id != id || m.To == "" || m.AcceptedAt == nil || m.SubmittedAt == nil || m.DoneAt == nil {
			t.Fatalf("GetMessage %s = %v, want status %v with timestamps", id, m, wantStatus)
		}
	}
	if got := r.sim.TotalSubmits(); got != n {
		t.Fatalf("simulator saw %d submits, want %d", got, n)
	}
}

// TestAPIErrors checks validation, authentication, lookups and health.
func TestAPIErrors(t *testing.T) {
	r := startTestSystem(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1})
	url := "http://" + r.apiAddr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := ternv1connect.NewMessageServiceClient(h2c(), url, bearer(r.devKey))

	tests := []struct {
		name  string
		req   *ternv1.SendRequest
		field string
	}{
		{"bad to", &ternv1.SendRequest{To: "12", Body: "hi"}, "to"},
		{"missing to", &ternv1.SendRequest{Body: "hi"}, "to"},
		{"empty body", &ternv1.SendRequest{To: "+14155552671"}, "body"},
		{"bad sender", &ternv1.SendRequest{To: "+14155552671", Body: "hi", From: "a sender that is far too long"}, "from"},
		{"validity beyond the server's", &ternv1.SendRequest{To: "+14155552671", Body: "hi", Validity: durationpb.New(49 * time.Hour)}, "validity"},
		{"negative validity", &ternv1.SendRequest{To: "+14155552671", Body: "hi", Validity: durationpb.New(-time.Minute)}, "validity"},
		{"invalid validity", &ternv1.SendRequest{To: "+14155552671", Body: "hi", Validity: &durationpb.Duration{Seconds: 1, Nanos: -1}}, "validity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.Send(ctx, connect.NewRequest(tt.req))
			if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.HasPrefix(connectMessage(err), tt.field+":") {
				t.Fatalf("Send = %v, want InvalidArgument naming %q", err, tt.field)
			}
		})
	}

	t.Run("no key", func(t *testing.T) {
		c := ternv1connect.NewMessageServiceClient(h2c(), url)
		_, err := c.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: "+14155552671", Body: "hi"}))
		if connect.CodeOf(err) != connect.CodeUnauthenticated {
			t.Fatalf("Send = %v, want Unauthenticated", err)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		c := ternv1connect.NewMessageServiceClient(h2c(), url, bearer("tern_not-a-key"))
		_, err := c.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: "+14155552671", Body: "hi"}))
		if connect.CodeOf(err) != connect.CodeUnauthenticated {
			t.Fatalf("Send = %v, want Unauthenticated", err)
		}
	})
	t.Run("grpc-go without key", func(t *testing.T) {
		conn := grpcClient(t, r.apiAddr)
		err := conn.Invoke(ctx, ternv1connect.MessageServiceSendProcedure, &ternv1.SendRequest{To: "+14155552671", Body: "hi"}, &ternv1.SendResponse{})
		if status.Code(err) != codes.Unauthenticated {
			t.Fatalf("Invoke = %v, want Unauthenticated", err)
		}
		// Health and reflection answer anyone, so grpc-go, which would read
		// their requests up to the message limit, does not serve them: a
		// connection that asks for them first goes to net/http.
		if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); status.Code(err) != codes.Unimplemented {
			t.Fatalf("health on a grpc-go connection: %v, want Unimplemented", err)
		}
		probe := grpcClient(t, r.apiAddr)
		h, err := healthpb.NewHealthClient(probe).Check(ctx, &healthpb.HealthCheckRequest{Service: ternv1connect.MessageServiceName})
		if err != nil || h.Status != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health = %v, %v", h, err)
		}
		// Reflection lists tern's services, as tools like grpcurl ask.
		rs, err := reflectionpb.NewServerReflectionClient(probe).ServerReflectionInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := rs.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
			t.Fatal(err)
		}
		list, err := rs.Recv()
		if err != nil {
			t.Fatal(err)
		}
		rs.CloseSend()
		names := map[string]bool{}
		for _, svc := range list.GetListServicesResponse().GetService() {
			names[svc.Name] = true
		}
		if !names[ternv1connect.MessageServiceName] || !names[ternv1connect.AnalyticsServiceName] {
			t.Fatalf("reflection lists %v", names)
		}
	})
	t.Run("grpc-go undecodable request", func(t *testing.T) {
		conn := grpcClient(t, r.apiAddr)
		// Field 1 (to, a string) as bytes that are not UTF-8.
		bad := wrapperspb.Bytes([]byte{0xff})
		err := conn.Invoke(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+r.devKey),
			ternv1connect.MessageServiceSendProcedure, bad, &ternv1.SendResponse{})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "UTF-8") {
			t.Fatalf("Invoke = %v, want InvalidArgument naming the invalid UTF-8", err)
		}
	})
	t.Run("batch items fail alone", func(t *testing.T) {
		resp, err := client.SendBatch(ctx, connect.NewRequest(&ternv1.SendBatchRequest{Messages: []*ternv1.SendRequest{
			{To: "+14155552671", Body: "one"},
			{To: "+1", Body: "two"},
			{To: "+14155552672", Body: "three"},
		}}))
		if err != nil {
			t.Fatal(err)
		}
		res := resp.Msg.Results
		if len(res) != 3 || res[0].GetMessage().GetId() == "" || res[2].GetMessage().GetId() == "" {
			t.Fatalf("results %v", res)
		}
		if e := res[1].GetError(); e == nil || e.Field != "to" || e.Code != "invalid_argument" {
			t.Fatalf("item 1 = %v, want an invalid_argument error on to", res[1])
		}
	})
	t.Run("get message", func(t *testing.T) {
		sent, err := client.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: "+14155552671", Body: "Your code is 492761"}))
		if err != nil {
			t.Fatal(err)
		}
		// Right after Send, the id answers (queued or later).
		got, err := client.GetMessage(ctx, connect.NewRequest(&ternv1.GetMessageRequest{Id: sent.Msg.Id}))
		if err != nil || got.Msg.Message.Id != sent.Msg.Id || got.Msg.Message.Status == ternv1.Status_STATUS_UNSPECIFIED {
			t.Fatalf("GetMessage = %v, %v", got, err)
		}
		other := forgeID(sent.Msg.Id)
		_, err = client.GetMessage(ctx, connect.NewRequest(&ternv1.GetMessageRequest{Id: other}))
		if connect.CodeOf(err) != connect.CodeNotFound {
			t.Fatalf("GetMessage(unknown id) = %v, want NotFound", err)
		}
		_, err = client.GetMessage(ctx, connect.NewRequest(&ternv1.GetMessageRequest{Id: "nope"}))
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("GetMessage(malformed) = %v, want InvalidArgument", err)
		}
	})
}

// TestEstimateAndCoding: Estimate answers without sending; Send honours
// smart encoding and shift tables and prices the message.
func TestEstimateAndCoding(t *testing.T) {
	r := startTestSystem(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := ternv1connect.NewMessageServiceClient(h2c(), "http://"+r.apiAddr, bearer(r.devKey))
	curly := "Your order \u201c4582\u201d has shipped \u2014 thanks!"
	tests := []struct {
		name     string
		req      *ternv1.EstimateRequest
		enc      ternv1.Encoding
		units    int32
		segments int32
		replaced int
		price    int64
	}{
		{"plain gsm", &ternv1.EstimateRequest{Body: "Your order #4582 has shipped"}, ternv1.Encoding_ENCODING_GSM7, 28, 1, 0, 0},
		{"curly quotes are ucs2", &ternv1.EstimateRequest{Body: curly}, ternv1.Encoding_ENCODING_UCS2, 39, 1, 0, 0},
		{"smart encoding", &ternv1.EstimateRequest{Body: curly, SmartEncoding: true}, ternv1.Encoding_ENCODING_GSM7, 39, 1, 3, 0},
		{"priced for the US", &ternv1.EstimateRequest{Body: strings.Repeat("a", 161), To: "+14155552671"}, ternv1.Encoding_ENCODING_GSM7, 161, 2, 0, 15800},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.Estimate(ctx, connect.NewRequest(tt.req))
			if err != nil {
				t.Fatal(err)
			}
			m := resp.Msg
			if m.Encoding != tt.enc || m.Units != tt.units || m.Segments != tt.segments || len(m.Replacements) != tt.replaced || m.GetPrice().GetMicros() != tt.price {
				t.Fatalf("Estimate = %v", m)
			}
		})
	}
	if _, err := client.Estimate(ctx, connect.NewRequest(&ternv1.EstimateRequest{Body: "hi", ShiftTables: []string{"klingon"}})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("unknown shift table = %v, want InvalidArgument", err)
	}
	sent, err := client.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: "+14155552671", Body: curly, SmartEncoding: true}))
	if err != nil {
		t.Fatal(err)
	}
	if sent.Msg.Encoding != ternv1.Encoding_ENCODING_GSM7 || sent.Msg.GetPrice().GetMicros() != 7900 || sent.Msg.GetPrice().GetCurrency() != "USD" {
		t.Fatalf("Send with smart encoding = %v", sent.Msg)
	}
	// The carrier gets the text the segments were counted for.
	testkit.Eventually(t, 30*time.Second, func() error {
		if n := r.sim.Submits("+14155552671", "Your order \"4582\" has shipped - thanks!"); n != 1 {
			return fmt.Errorf("simulator saw the smart-encoded text %d times", n)
		}
		return nil
	})
}

func connectMessage(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Message()
	}
	return ""
}

// With --grpc-go=false, gRPC and Connect calls share one HTTP/2
// connection, as behind a proxy that multiplexes both kinds of clients.
func TestMixedCallsWithoutGRPCGo(t *testing.T) {
	t.Parallel()
	r := startConfigured(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1}, func(c *serveConfig) { c.grpcGo = false })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hc, url := h2c(), "http://"+r.apiAddr // one transport, one connection
	for _, opts := range [][]connect.ClientOption{{connect.WithGRPC()}, nil, {connect.WithGRPC()}, {connect.WithGRPCWeb()}} {
		c := ternv1connect.NewMessageServiceClient(hc, url, append(opts, bearer(r.devKey))...)
		resp, err := c.Send(ctx, connect.NewRequest(&ternv1.SendRequest{To: "+14155552671", Body: "Your code is 123456"}))
		if err != nil || resp.Msg.Id == "" {
			t.Fatalf("Send with %d options: %v, %v", len(opts), resp, err)
		}
	}
}

// tern serve prunes the delivery ledger from its start on: a row past the
// retention, left by an earlier run, is gone soon after.
func TestServePrunesLedger(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pre, err := pipeline.OpenStore(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-30 * 24 * time.Hour)
	ids, err := msgid.NewIssuer([]byte("serve-prune-test-key"))
	if err != nil {
		t.Fatal(err)
	}
	oldID, recentID := ids.New("dev", old), ids.New("dev", time.Now())
	for _, row := range []struct {
		id     string
		intent time.Time
	}{{oldID, old}, {recentID, time.Now()}} {
		if _, err := pre.Pool().Exec(ctx, `INSERT INTO deliveries (message_id, tenant_id, campaign_id, recipient, region, category, encoding, carrier, state, intent_at)
			VALUES ($1, 'dev', '', '+14155552671', 'US', 1, 0, 'sim', 2, $2)`, row.id, row.intent); err != nil {
			t.Fatal(err)
		}
	}
	pre.Close()

	r := startConfigured(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1}, func(c *serveConfig) { c.postgresURL = url })
	testkit.Eventually(t, 30*time.Second, func() error {
		var left []string
		rows, err := r.store.Pool().Query(ctx, "SELECT message_id FROM deliveries ORDER BY 1")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			left = append(left, id)
		}
		if len(left) != 1 || left[0] != recentID {
			return fmt.Errorf("deliveries %v, want only %s", left, recentID)
		}
		return nil
	})
}
