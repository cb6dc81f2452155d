package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// launched imports contacts, stores a template and a segment, and runs a
// campaign to its end through the API; it returns the campaign.
func (a campaignAPI) launched(t testing.TB, ctx context.Context, cc ternv1connect.CampaignServiceClient) *ternv1.Campaign {
	t.Helper()
	book := a.contactClients()["grpc"]
	file, _ := importFile(50)
	importStream(t, ctx, book, &ternv1.ImportOptions{ImportId: "seed", ConsentSource: "test"}, file, 4096)
	if _, err := book.RevokeConsent(ctx, connect.NewRequest(&ternv1.RevokeConsentRequest{Number: "+14153000002"})); err != nil {
		t.Fatal(err)
	}
	sg, err := book.CreateSegment(ctx, connect.NewRequest(&ternv1.CreateSegmentRequest{Name: "US", Filter: &ternv1.SegmentFilter{
		Condition: &ternv1.SegmentFilter_Country{Country: &ternv1.CountryCondition{Countries: []string{"US"}}}}}))
	if err != nil {
		t.Fatal(err)
	}
	tc := ternv1connect.NewTemplateServiceClient(h2cClient(), "http://"+a.addr, connect.WithGRPC(), withKey)
	tp, err := tc.CreateTemplate(ctx, connect.NewRequest(&ternv1.CreateTemplateRequest{Template: &ternv1.Template{Name: "sale",
		Category: ternv1.Category_CATEGORY_MARKETING, Body: `Hi {{first_name|"there"}}: https://shop.example/sale`}}))
	if err != nil {
		t.Fatal(err)
	}
	est, err := tc.EstimateTemplate(ctx, connect.NewRequest(&ternv1.EstimateTemplateRequest{TemplateId: tp.Msg.GetTemplate().GetId(), SegmentId: sg.Msg.GetSegment().GetId()}))
	if err != nil || est.Msg.GetEstimate().GetRecipients() != 45 || est.Msg.GetEstimate().GetWorst().GetSegments() != 1 {
		t.Fatalf("EstimateTemplate = %v, %v", est, err)
	}
	c, err := cc.CreateCampaign(ctx, connect.NewRequest(&ternv1.CreateCampaignRequest{Campaign: &ternv1.Campaign{Name: "spring",
		TemplateId: tp.Msg.GetTemplate().GetId(), Audience: &ternv1.Audience{SegmentId: sg.Msg.GetSegment().GetId()}}}))
	if err != nil {
		t.Fatal(err)
	}
	id := c.Msg.GetCampaign().GetId()
	if _, err := cc.LaunchCampaign(ctx, connect.NewRequest(&ternv1.LaunchCampaignRequest{Id: id})); err != nil {
		t.Fatal(err)
	}
	if err := a.campaigns.Expand(ctx, "shop-1", id); err != nil {
		t.Fatal(err)
	}
	got, err := cc.GetCampaign(ctx, connect.NewRequest(&ternv1.GetCampaignRequest{Id: id}))
	if err != nil {
		t.Fatal(err)
	}
	return got.Msg.GetCampaign()
}

func TestCampaignService(t *testing.T) {
	t.Parallel()
	a := serveCampaignAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for name, cc := range map[string]ternv1connect.CampaignServiceClient{
		"grpc": ternv1connect.NewCampaignServiceClient(h2cClient(), "http://"+a.addr, connect.WithGRPC(), withKey),
		"json": ternv1connect.NewCampaignServiceClient(&http.Client{}, "http://"+a.addr, connect.WithProtoJSON(), withKey),
	} {
		_, err := cc.CreateCampaign(ctx, connect.NewRequest(&ternv1.CreateCampaignRequest{Campaign: &ternv1.Campaign{Name: "x", TemplateId: "tpl_x", QuietHours: "9-5"}}))
		if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "quiet_hours:") {
			t.Fatalf("%s: bad quiet hours: %v", name, err)
		}
		if _, err := cc.PauseCampaign(ctx, connect.NewRequest(&ternv1.PauseCampaignRequest{Id: "cmp_none"})); connect.CodeOf(err) != connect.CodeNotFound {
			t.Fatalf("%s: pausing no campaign: %v", name, err)
		}
	}
	cc := ternv1connect.NewCampaignServiceClient(h2cClient(), "http://"+a.addr, connect.WithGRPC(), withKey)
	c := a.launched(t, ctx, cc)
	k := c.GetCounts()
	if c.GetState() != ternv1.CampaignState_CAMPAIGN_STATE_COMPLETED || k.GetExpanded() != 46 || k.GetQueued() != 45 || k.GetSkipped() != 1 {
		t.Fatalf("campaign %v", c)
	}
	if _, err := cc.ResumeCampaign(ctx, connect.NewRequest(&ternv1.ResumeCampaignRequest{Id: c.GetId()})); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Fatalf("resuming a completed campaign: %v", err)
	}
	w, err := cc.WatchCampaign(ctx, connect.NewRequest(&ternv1.WatchCampaignRequest{Id: c.GetId()}))
	if err != nil {
		t.Fatal(err)
	}
	if !w.Receive() || w.Msg().GetCampaign().GetCounts().GetQueued() != 45 {
		t.Fatalf("WatchCampaign: %v, %v", w.Msg(), w.Err())
	}
	w.Close()
	list, err := cc.ListCampaigns(ctx, connect.NewRequest(&ternv1.ListCampaignsRequest{}))
	if err != nil || len(list.Msg.GetCampaigns()) != 1 {
		t.Fatalf("ListCampaigns = %v, %v", list, err)
	}
	est, err := cc.EstimateCampaign(ctx, connect.NewRequest(&ternv1.EstimateCampaignRequest{Id: c.GetId()}))
	if err != nil || est.Msg.GetAudience() != 46 || est.Msg.GetSuppressed() != 1 {
		t.Fatalf("EstimateCampaign = %v, %v", est, err)
	}
}

var codeRE = regexp.MustCompile(`/l/([0-9A-Za-z]{10})`)

// codes reads the link codes of the queued messages, by recipient.
func (a campaignAPI) codes(t testing.TB, ctx context.Context) map[string]string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(a.kafka.Brokers...), kgo.ConsumeTopics(a.kafka.Topics.Marketing), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out := map[string]string{}
	for len(out) < 45 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%d codes read", len(out))
		}
		fs.EachRecord(func(r *kgo.Record) {
			var s recordv1.Submit
			if proto.Unmarshal(r.Value, &s) == nil {
				if m := codeRE.FindStringSubmatch(s.Body); m != nil {
					out[s.To] = m[1]
				}
			}
		})
	}
	return out
}

// TestLinkRedirect: a tracked link redirects to its campaign's URL and
// its click goes to the clicks topic; an unknown code is 404, and nothing
// but a code's own URL is ever redirected to.
func TestLinkRedirect(t *testing.T) {
	t.Parallel()
	a := serveCampaignAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := a.launched(t, ctx, ternv1connect.NewCampaignServiceClient(h2cClient(), "http://"+a.addr, connect.WithGRPC(), withKey))
	code := a.codes(t, ctx)["+14153000001"]
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+a.addr+"/l/"+code, nil)
	req.Header.Set("User-Agent", "TestBrowser/1.0")
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://shop.example/sale" {
		t.Fatalf("redirect: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/l/AAAAAAAAAA", http.StatusNotFound},
		{http.MethodGet, "/l/" + code + "x", http.StatusNotFound},
		{http.MethodGet, "/l/https:%2F%2Fevil.example", http.StatusNotFound},
		{http.MethodGet, "/l/?u=https://evil.example", http.StatusNotFound},
		{http.MethodPost, "/l/" + code, http.StatusMethodNotAllowed},
		{http.MethodHead, "/l/" + code, http.StatusFound},
	} {
		req, _ := http.NewRequestWithContext(ctx, tc.method, "http://"+a.addr+tc.path, nil)
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want || (tc.want != http.StatusFound && resp.Header.Get("Location") != "") {
			t.Errorf("%s %s: %d (Location %q), want %d", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Location"), tc.want)
		}
	}
	click := readClick(t, ctx, a)
	if click.GetCode() != code || click.GetCampaignId() != c.GetId() || click.GetUrl() != "https://shop.example/sale" || click.GetMessageId() == "" ||
		click.GetContactId() == 0 || click.GetUserAgent() != "TestBrowser/1.0" || click.GetTenantId() != "shop-1" || click.GetClickedAt() == nil {
		t.Fatalf("click %v", click)
	}
}

// readClick reads the one click on the clicks topic; the HEAD request
// recorded none.
func readClick(t *testing.T, ctx context.Context, a campaignAPI) *recordv1.Click {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(a.kafka.Brokers...), kgo.ConsumeTopics("tern.clicks"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var clicks []*recordv1.Click
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			var c recordv1.Click
			if proto.Unmarshal(r.Value, &c) == nil {
				clicks = append(clicks, &c)
			}
		})
		if len(clicks) > 0 && fs.NumRecords() == 0 {
			break
		}
	}
	if len(clicks) != 1 {
		t.Fatalf("%d clicks recorded, want 1", len(clicks))
	}
	return clicks[0]
}

// BenchmarkLinkRedirect is the redirect's server time for a code in the
// cache, click recorded; BenchmarkLinkRedirectMiss for one read from
// PostgreSQL.
func BenchmarkLinkRedirect(b *testing.B) { benchRedirect(b, false) }

func BenchmarkLinkRedirectMiss(b *testing.B) { benchRedirect(b, true) }

func benchRedirect(b *testing.B, miss bool) {
	a := serveCampaignAPI(b)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a.launched(b, ctx, ternv1connect.NewCampaignServiceClient(h2cClient(), "http://"+a.addr, connect.WithGRPC(), withKey))
	code := a.codes(b, ctx)["+14153000001"]
	h := a.links
	req := httptest.NewRequest(http.MethodGet, "/l/"+code, nil)
	req.Header.Set("User-Agent", "BenchBrowser/1.0")
	b.ReportAllocs()
	for b.Loop() {
		if miss {
			b.StopTimer()
			h = NewLinkHandler(a.campaigns.NewLinks(16), nil, nil)
			b.StartTimer()
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusFound {
			b.Fatalf("status %d", w.Code)
		}
	}
}
