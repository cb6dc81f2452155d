package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/hygiene"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// analyticsFixture serves tern.v1 with a real analytics store holding a
// few messages of campaign c1, over Connect (srv) and grpc-go (grpcAddr).
type analyticsFixture struct {
	srv      *httptest.Server
	grpcAddr string
	store    *analytics.Store
}

var at0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newAnalyticsFixture(t *testing.T, withAnalytics bool) analyticsFixture {
	t.Helper()
	store := chtest.Store(t)
	var rows []analytics.Row
	for i, st := range []core.Status{core.StatusDelivered, core.StatusDelivered, core.StatusUndelivered} {
		id := "m" + string(rune('0'+i))
		to := "+4915112" + strings.Repeat(string(rune('0'+i)), 6)
		acc := at0.Add(time.Duration(i) * time.Second)
		rows = append(rows,
			analytics.Row{TenantID: "shop-1", MessageID: id, CampaignID: "c1", Status: core.StatusQueued, Time: acc, Recipient: to, Region: "DE",
				Segments: 1, Submit: true, Sender: "SHOP", PriceMicros: 10_000, Currency: "EUR"},
			analytics.Row{TenantID: "shop-1", MessageID: id, CampaignID: "c1", Status: core.StatusSubmitted, Time: acc.Add(time.Second),
				Recipient: to, Region: "DE", Segments: 1, Carrier: "carrier-a", CostMicros: 4_000, CostCurrency: "EUR"},
			analytics.Row{TenantID: "shop-1", MessageID: id, CampaignID: "c1", Status: st, Time: acc.Add(3 * time.Second),
				Recipient: to, Region: "DE", Segments: 1, Carrier: "carrier-a", ErrorCode: map[bool]string{true: "001"}[st == core.StatusUndelivered]})
	}
	if err := store.Record(t.Context(), rows); err != nil {
		t.Fatal(err)
	}
	keys, err := NewKeyring(map[string][]string{"shop-1": {KeyHash("key-one")}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := msgid.NewIssuer([]byte("api-test-key-0123456"))
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Keys: keys, Sender: noSender{}, Reports: store, IDs: ids, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if withAnalytics {
		d.Analytics = store
	}
	h, err := NewHandler(d)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
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
	return analyticsFixture{srv: srv, grpcAddr: ln.Addr().String(), store: store}
}

type noSender struct{}

func (noSender) Send(context.Context, []pipeline.Request, []pipeline.Result) error { return nil }

func (f analyticsFixture) client() ternv1connect.AnalyticsServiceClient {
	return ternv1connect.NewAnalyticsServiceClient(http.DefaultClient, f.srv.URL, connect.WithInterceptors(bearer("key-one")))
}

// bearer adds the API key to unary and streaming calls.
type bearer string

func (b bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", "Bearer "+string(b))
		return next(ctx, req)
	}
}

func (b bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		conn.RequestHeader().Set("Authorization", "Bearer "+string(b))
		return conn
	}
}

func (b bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// TestAnalyticsService: the reports answer over Connect and gRPC, with
// the tenant of the key; bad requests are InvalidArgument naming the
// field.
func TestAnalyticsService(t *testing.T) {
	t.Parallel()
	f := newAnalyticsFixture(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := f.client()

	rep, err := c.GetCampaignReport(ctx, connect.NewRequest(&ternv1.GetCampaignReportRequest{CampaignId: "c1"}))
	if err != nil {
		t.Fatal(err)
	}
	fu := rep.Msg.GetFunnel()
	if fu.GetAccepted() != 3 || fu.GetDelivered() != 2 || fu.GetUndelivered() != 1 || rep.Msg.GetPrice()[0].GetMicros() != 30_000 ||
		rep.Msg.GetCost()[0].GetMicros() != 12_000 || rep.Msg.GetSubmitToFinal().GetP50Ms() != 2000 || len(rep.Msg.GetErrorCodes()) != 1 {
		t.Fatalf("campaign report %v", rep.Msg)
	}
	del, err := c.GetDeliveryReport(ctx, connect.NewRequest(&ternv1.GetDeliveryReportRequest{From: timestamppb.New(at0), To: timestamppb.New(at0.Add(time.Hour)),
		GroupBy: []ternv1.DeliveryDimension{ternv1.DeliveryDimension_DELIVERY_DIMENSION_SENDER}}))
	if err != nil || len(del.Msg.GetRows()) != 1 || del.Msg.GetRows()[0].GetSender() != "SHOP" || del.Msg.GetRows()[0].GetDeliveryRate() != 2.0/3 {
		t.Fatalf("delivery report %v, %v", del, err)
	}
	list, err := c.ListMessages(ctx, connect.NewRequest(&ternv1.ListMessagesRequest{Filter: &ternv1.MessageFilter{
		AcceptedAfter: timestamppb.New(at0.Add(-time.Hour)), Statuses: []ternv1.Status{ternv1.Status_STATUS_UNDELIVERED}}}))
	if err != nil || len(list.Msg.GetMessages()) != 1 || list.Msg.GetMessages()[0].GetMessage().GetFrom() != "SHOP" ||
		list.Msg.GetMessages()[0].GetPrice().GetCurrency() != "EUR" || list.Msg.GetMessages()[0].GetCountry() != "DE" {
		t.Fatalf("list %v, %v", list, err)
	}
	hyg, err := c.GetListHygieneReport(ctx, connect.NewRequest(&ternv1.GetListHygieneReportRequest{}))
	if err != nil || hyg.Msg.GetClassifiedAt() != nil {
		t.Fatalf("hygiene report before any run: %v, %v", hyg, err)
	}

	for _, bad := range []struct {
		name, field string
		call        func() error
	}{
		{"no campaign", "campaign_id", func() error {
			_, err := c.GetCampaignReport(ctx, connect.NewRequest(&ternv1.GetCampaignReportRequest{}))
			return err
		}},
		{"no from", "from", func() error {
			_, err := c.GetDeliveryReport(ctx, connect.NewRequest(&ternv1.GetDeliveryReportRequest{}))
			return err
		}},
		{"a dimension twice", "group_by", func() error {
			_, err := c.GetDeliveryReport(ctx, connect.NewRequest(&ternv1.GetDeliveryReportRequest{From: timestamppb.New(at0),
				GroupBy: []ternv1.DeliveryDimension{1, 1}}))
			return err
		}},
		{"a number not in E.164", "filter.to", func() error {
			_, err := c.ListMessages(ctx, connect.NewRequest(&ternv1.ListMessagesRequest{Filter: &ternv1.MessageFilter{To: "0151 12"}}))
			return err
		}},
		{"a forged token", "page_token", func() error {
			_, err := c.ListMessages(ctx, connect.NewRequest(&ternv1.ListMessagesRequest{PageToken: "x"}))
			return err
		}},
		{"an unknown class", "class", func() error {
			_, err := c.GetListHygieneReport(ctx, connect.NewRequest(&ternv1.GetListHygieneReportRequest{Class: 99}))
			return err
		}},
	} {
		err := bad.call()
		if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.HasPrefix(connectMessage(err), bad.field+": ") {
			t.Errorf("%s: %v, want InvalidArgument naming %s", bad.name, err, bad.field)
		}
	}

	// The export, over Connect and over grpc-go, has the three messages.
	var viaConnect bytes.Buffer
	stream, err := c.ExportMessages(ctx, connect.NewRequest(&ternv1.ExportMessagesRequest{Filter: &ternv1.MessageFilter{AcceptedAfter: timestamppb.New(at0.Add(-time.Hour))}}))
	if err != nil {
		t.Fatal(err)
	}
	for stream.Receive() {
		viaConnect.Write(stream.Msg().GetCsv())
	}
	if err := stream.Err(); err != nil || strings.Count(viaConnect.String(), "\n") != 4 || !strings.HasPrefix(viaConnect.String(), "id,to,") {
		t.Fatalf("export over Connect: %q, %v", viaConnect.String(), err)
	}
	if got := exportOverGRPC(ctx, t, f.grpcAddr); got != viaConnect.String() {
		t.Fatalf("export over grpc-go:\n%s\nover Connect:\n%s", got, viaConnect.String())
	}
}

func connectMessage(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Message()
	}
	return ""
}

func exportOverGRPC(ctx context.Context, t *testing.T, addr string) string {
	t.Helper()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer key-one")
	desc := &grpc.StreamDesc{StreamName: "ExportMessages", ServerStreams: true}
	s, err := grpcConn(t, addr).NewStream(ctx, desc, ternv1connect.AnalyticsServiceExportMessagesProcedure)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendMsg(&ternv1.ExportMessagesRequest{Filter: &ternv1.MessageFilter{AcceptedAfter: timestamppb.New(at0.Add(-time.Hour))}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for {
		var m ternv1.ExportMessagesResponse
		err := s.RecvMsg(&m)
		if errors.Is(err, io.EOF) {
			return out.String()
		}
		if err != nil {
			t.Fatalf("export over grpc-go: %v", err)
		}
		out.Write(m.GetCsv())
	}
}

// TestAnalyticsUnimplemented: a server given no analytics store answers
// the reports Unimplemented, over Connect and gRPC; GetCampaignStats
// still answers.
func TestAnalyticsUnimplemented(t *testing.T) {
	t.Parallel()
	f := newAnalyticsFixture(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := f.client()
	if _, err := c.GetCampaignStats(ctx, connect.NewRequest(&ternv1.GetCampaignStatsRequest{CampaignId: "c1"})); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetCampaignReport(ctx, connect.NewRequest(&ternv1.GetCampaignReportRequest{CampaignId: "c1"})); connect.CodeOf(err) != connect.CodeUnimplemented {
		t.Fatalf("GetCampaignReport without analytics: %v", err)
	}
	if _, err := c.RemoveSuppression(ctx, connect.NewRequest(&ternv1.RemoveSuppressionRequest{Number: "+4915112000000"})); connect.CodeOf(err) != connect.CodeUnimplemented {
		t.Fatalf("RemoveSuppression without a ledger: %v", err)
	}
	gctx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer key-one")
	err := grpcConn(t, f.grpcAddr).Invoke(gctx, ternv1connect.AnalyticsServiceListMessagesProcedure, &ternv1.ListMessagesRequest{}, &ternv1.ListMessagesResponse{})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(status.Convert(err).Message(), "not enabled") {
		t.Fatalf("ListMessages over grpc-go without analytics: %v", err)
	}
}

// TestAnalyticsEnumsAgree: the proto enums the handlers cast share their
// values with the Go types.
func TestAnalyticsEnumsAgree(t *testing.T) {
	t.Parallel()
	for _, c := range hygiene.Classes {
		name := "HYGIENE_CLASS_" + strings.ToUpper(c.Key())
		if got := ternv1.HygieneClass(c).String(); got != name {
			t.Errorf("class %v is %s in the proto, want %s", c, got, name)
		}
	}
	for d, name := range map[analytics.Dimension]string{analytics.DimCountry: "COUNTRY", analytics.DimCarrier: "CARRIER",
		analytics.DimSender: "SENDER", analytics.DimCategory: "CATEGORY", analytics.DimCampaign: "CAMPAIGN"} {
		if got := ternv1.DeliveryDimension(d).String(); got != "DELIVERY_DIMENSION_"+name {
			t.Errorf("dimension %d is %s in the proto, want %s", d, got, name)
		}
	}
}

// TestRemoveSuppression: a hygiene suppression is lifted through the
// consent ledger, once; the opt-in it left in place stays.
func TestRemoveSuppression(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topic := consentlog.TopicConfig{Brokers: []string{kafkatest.Broker(t)}, Topic: "tern.suppressions"}
	if err := consentlog.EnsureTopic(ctx, topic, 2, 1); err != nil {
		t.Fatal(err)
	}
	ledger, err := consentlog.Open(ctx, pgtest.URL(t), consentlog.NewHasher([]byte("api-test")), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	const num = "+4915112000001"
	if _, err := ledger.SuppressHygiene(ctx, "shop-1", num, hygiene.ClassUnknownSubscriber, "carrier-a 001"); err != nil {
		t.Fatal(err)
	}
	keys, err := NewKeyring(map[string][]string{"shop-1": {KeyHash("key-one")}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(Deps{Keys: keys, Sender: noSender{}, Reports: noReports{}, IDs: noReports{}, Hygiene: ledger,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := ternv1connect.NewAnalyticsServiceClient(http.DefaultClient, srv.URL, connect.WithInterceptors(bearer("key-one")))
	for i, want := range []bool{true, false} {
		resp, err := c.RemoveSuppression(ctx, connect.NewRequest(&ternv1.RemoveSuppressionRequest{Number: num}))
		if err != nil || resp.Msg.GetRemoved() != want {
			t.Fatalf("RemoveSuppression %d = %v, %v; want removed %v", i+1, resp, err, want)
		}
	}
	st, err := ledger.State(ctx, "shop-1", num)
	if err != nil || st.Hygiene != 0 {
		t.Fatalf("state after RemoveSuppression %+v, %v", st, err)
	}
	marks, err := ledger.HygieneMarks(ctx, "shop-1")
	if err != nil || len(marks) != 1 || marks[0].ClearedBy != "api key keyring" {
		t.Fatalf("marks %+v, %v", marks, err)
	}
	_, err = c.RemoveSuppression(ctx, connect.NewRequest(&ternv1.RemoveSuppressionRequest{Number: "12"}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.HasPrefix(connectMessage(err), "number: ") {
		t.Fatalf("RemoveSuppression of a malformed number: %v", err)
	}
}
