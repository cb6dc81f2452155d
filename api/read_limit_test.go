package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/kafkatest"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestReadLimits: GetMessage and GetCampaignStats of a tenant over its
// share of report queries are ResourceExhausted; another tenant's calls
// are answered meanwhile.
func TestReadLimits(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := chtest.Config(t)
	cfg.TenantReadRate = 0.01 // one query now, the next in 100 s
	reports, err := analytics.Open(ctx, cfg, analytics.WithLogger(chtest.Logger(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reports.Close() })
	ids, err := msgid.NewIssuer([]byte("api-test-key-0123456"))
	if err != nil {
		t.Fatal(err)
	}
	intake, err := pipeline.NewIntake(pipeline.KafkaConfig{Brokers: []string{kafkatest.Broker(t)}}, ids, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { intake.Close() })
	keys, err := NewKeyring(map[string][]string{"shop-1": {KeyHash("key-one")}, "shop-2": {KeyHash("key-two")}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(Deps{Keys: keys, Sender: intake, Reports: reports, IDs: ids, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	auth := func(key string) connect.ClientOption {
		return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				req.Header().Set("Authorization", "Bearer "+key)
				return next(ctx, req)
			}
		}))
	}
	getMessage := func(key, id string) error {
		c := ternv1connect.NewMessageServiceClient(http.DefaultClient, srv.URL, auth(key))
		_, err := c.GetMessage(ctx, connect.NewRequest(&ternv1.GetMessageRequest{Id: id}))
		return err
	}
	campaignStats := func(key string) error {
		c := ternv1connect.NewAnalyticsServiceClient(http.DefaultClient, srv.URL, auth(key))
		_, err := c.GetCampaignStats(ctx, connect.NewRequest(&ternv1.GetCampaignStatsRequest{CampaignId: "c1"}))
		return err
	}
	mine, theirs := ids.New("shop-1", time.Now()), ids.New("shop-2", time.Now())
	tests := []struct {
		name string
		call func() error
		want connect.Code // 0: answered
	}{
		{"first GetMessage", func() error { return getMessage("key-one", mine) }, 0},
		{"GetMessage over the rate", func() error { return getMessage("key-one", mine) }, connect.CodeResourceExhausted},
		{"GetCampaignStats over the rate", func() error { return campaignStats("key-one") }, connect.CodeResourceExhausted},
		{"another tenant", func() error { return getMessage("key-two", theirs) }, 0},
	}
	for _, tt := range tests {
		err := tt.call()
		var got connect.Code
		if err != nil {
			got = connect.CodeOf(err)
		}
		if got != tt.want {
			t.Errorf("%s: %v, want code %v", tt.name, err, tt.want)
		}
	}
}
