package api

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
	verifysvc "github.com/ternsms/tern/pipeline/verify"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// verifyFixture is the verify service on real parts (PostgreSQL, the
// in-process broker, the pipeline's Intake) behind NewHandler and
// NewGRPCServer, for tenant shop-1 with key "key-one".
type verifyFixture struct {
	url     string
	grpc    string
	kafka   pipeline.KafkaConfig
	svc     *verifysvc.Service
	handler http.Handler
}

func newVerifyFixture(t *testing.T, ctx context.Context) *verifyFixture {
	t.Helper()
	f := &verifyFixture{}
	pgURL := pgtest.URL(t)
	f.kafka = pipeline.KafkaConfig{Brokers: []string{kafkatest.Broker(t)}, Partitions: 2}.WithDefaults()
	if err := pipeline.EnsureTopics(ctx, f.kafka); err != nil {
		t.Fatal(err)
	}
	ps, err := pipeline.OpenStore(ctx, pgURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ps.Close)
	ids, err := msgid.NewIssuer([]byte("api-verify-test-key"))
	if err != nil {
		t.Fatal(err)
	}
	intake, err := pipeline.NewIntake(f.kafka, ids, ps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { intake.Close() })
	ts, err := tenants.Open(ctx, pgURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Close)
	if _, err := ts.CreateTenant(ctx, tenants.Tenant{ID: "shop-1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.SetSenders(ctx, "shop-1", []tenants.Sender{{ID: "+14155550100", Default: true}}); err != nil {
		t.Fatal(err)
	}
	reg, err := tenants.NewRegistry(ctx, ts)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := verifysvc.Open(ctx, pgURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vs.Close)
	if f.svc, err = verifysvc.New(vs, []byte("api verify test secret"), intake, reg); err != nil {
		t.Fatal(err)
	}
	keys, err := NewKeyring(map[string][]string{"shop-1": {KeyHash("key-one")}})
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Keys: keys, Sender: intake, Reports: noReports{}, IDs: noReports{}, Log: slog.New(slog.DiscardHandler),
		Verify: NewVerifyService(VerifyDeps{Verifier: f.svc, Policies: f.svc})}
	if f.handler, err = NewHandler(d); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.handler)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	g, err := NewGRPCServer(d)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(ln)
	t.Cleanup(g.Stop)
	f.grpc = ln.Addr().String()
	return f
}

// lastCode returns the code in the last message sent for verification id.
func (f *verifyFixture) lastCode(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(f.kafka.Brokers...), kgo.ConsumeTopics(f.kafka.Topics.OTP),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	code := ""
	for {
		pctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			s := &recordv1.Submit{}
			if proto.Unmarshal(r.Value, s) == nil && s.Origin == verifysvc.OriginPrefix+id {
				code = regexp.MustCompile(`\b\d{4,10}\b`).FindString(s.Body)
			}
		})
		if n == 0 {
			break
		}
	}
	if code == "" {
		t.Fatalf("no message for %s", id)
	}
	return code
}

func TestVerifyService(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := newVerifyFixture(t, ctx)
	c := ternv1connect.NewVerifyServiceClient(http.DefaultClient, f.url)
	auth := func(r connect.AnyRequest) { r.Header().Set("Authorization", "Bearer key-one") }
	start := connect.NewRequest(&ternv1.StartVerificationRequest{To: "+14155552671"})
	auth(start)
	st, err := c.StartVerification(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	v := st.Msg.GetVerification()
	if v.GetStatus() != ternv1.VerificationStatus_VERIFICATION_STATUS_PENDING || v.GetTo() != "+14155552671" || v.GetChannel() != "sms" {
		t.Fatalf("started %v", v)
	}
	code := f.lastCode(t, ctx, v.GetId())
	check := func(code string) (*ternv1.CheckVerificationResponse, error) {
		r := connect.NewRequest(&ternv1.CheckVerificationRequest{Id: v.GetId(), Code: code})
		auth(r)
		resp, err := c.CheckVerification(ctx, r)
		if err != nil {
			return nil, err
		}
		return resp.Msg, nil
	}
	wrong := code[:5] + string('0'+(code[5]-'0'+1)%10)
	if r, err := check(wrong); err != nil || r.GetStatus() != ternv1.VerificationStatus_VERIFICATION_STATUS_PENDING {
		t.Fatalf("wrong code: %v, %v", r, err)
	}
	if r, err := check(code); err != nil || r.GetStatus() != ternv1.VerificationStatus_VERIFICATION_STATUS_APPROVED {
		t.Fatalf("right code: %v, %v", r, err)
	}
	if _, err := check(code); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Fatalf("approved twice: %v", err)
	}

	// Refusals keep their field and reason, with the Connect code that fits.
	refusals := []struct {
		name string
		req  *ternv1.StartVerificationRequest
		code connect.Code
		text string
	}{
		{"bad number", &ternv1.StartVerificationRequest{To: "41555"}, connect.CodeInvalidArgument, "to: not a valid phone number"},
		{"other country", &ternv1.StartVerificationRequest{To: "+447400123456"}, connect.CodeFailedPrecondition, "to: country not enabled for verification"},
		{"cooldown", &ternv1.StartVerificationRequest{To: "+14155552671"}, connect.CodeResourceExhausted, "to: a code was sent to this number moments ago"},
	}
	for _, r := range refusals {
		req := connect.NewRequest(r.req)
		auth(req)
		_, err := c.StartVerification(ctx, req)
		var ce *connect.Error
		if !errors.As(err, &ce) || ce.Code() != r.code || !strings.HasPrefix(ce.Message(), r.text) {
			t.Errorf("%s: %v, want %v %q", r.name, err, r.code, r.text)
		}
	}
	nokey := connect.NewRequest(&ternv1.StartVerificationRequest{To: "+14155552672"})
	if _, err := c.StartVerification(ctx, nokey); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("no key: %v", err)
	}

	// The policy, with defaults filled in, and over gRPC too.
	conn := grpcConn(t, f.grpc)
	gctx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer key-one")
	pol := &ternv1.UpdateVerifyPolicyResponse{}
	err = conn.Invoke(gctx, ternv1connect.VerifyServiceUpdateVerifyPolicyProcedure,
		&ternv1.UpdateVerifyPolicyRequest{Policy: &ternv1.VerifyPolicy{Countries: []string{"US", "GB"}, MaxChecks: 3}}, pol)
	if err != nil || pol.GetPolicy().GetMaxChecks() != 3 || pol.GetPolicy().GetExpiry().AsDuration() != 10*time.Minute ||
		pol.GetPolicy().GetCooldown().AsDuration() != 30*time.Second {
		t.Fatalf("UpdateVerifyPolicy = %v, %v", pol, err)
	}
	err = conn.Invoke(gctx, ternv1connect.VerifyServiceUpdateVerifyPolicyProcedure,
		&ternv1.UpdateVerifyPolicyRequest{TenantId: "shop-2", Policy: &ternv1.VerifyPolicy{}}, pol)
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("another tenant's policy: %v", err)
	}
	gst := &ternv1.StartVerificationResponse{}
	if err := conn.Invoke(gctx, ternv1connect.VerifyServiceStartVerificationProcedure, &ternv1.StartVerificationRequest{To: "+447400123456"}, gst,
		grpc.WaitForReady(true)); err != nil {
		t.Fatalf("GB once enabled, over gRPC: %v", err)
	}
	if gst.GetVerification().GetTo() != "+447400123456" {
		t.Fatalf("started %v", gst)
	}
}
