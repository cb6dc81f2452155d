package campaigns

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/campaign"
	"github.com/ternsms/tern/core/quiet"
	"github.com/ternsms/tern/pipeline/contacts"
	"github.com/ternsms/tern/pipeline/templates"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

var testLinks = Config{LinkBase: "http://127.0.0.1:8080/l/", LinkSecret: []byte("campaign-link-secret"), Step: 100}

// saleTemplate is a marketing template with a name, a fallback and a
// link.
func saleTemplate(t *testing.T, ctx context.Context, e *env) templates.Template {
	t.Helper()
	tp, err := e.templates.Create(ctx, templates.Template{Tenant: "shop-1", Name: "sale", Category: core.CategoryMarketing,
		Body: `Hi {{first_name|"there"}}, 20% off today: https://shop.example/sale`})
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// usSegment is a stored segment: every contact with a US number.
func usSegment(t *testing.T, ctx context.Context, e *env) int64 {
	t.Helper()
	sg, err := e.contacts.CreateSegment(ctx, "shop-1", "US", &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Country{
		Country: &ternv1.CountryCondition{Countries: []string{"US"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return sg.ID
}

var textRE = regexp.MustCompile(`^Hi (N\d+|there), 20% off today: http://127\.0\.0\.1:8080/l/([0-9A-Za-z]{10})$`)

// TestExpandExactlyOnce: an instance dies after a step was queued and
// before it was committed; another resumes. Every eligible contact gets
// exactly one message, personalised, with a link of its own that leads to
// the campaign's URL; unconsented and opted-out contacts get none.
func TestExpandExactlyOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	eligible := e.seed(t, ctx, 1000)
	tp := saleTemplate(t, ctx, e)
	crashCtx, crash := context.WithCancel(ctx)
	a := e.open(t, ctx, testLinks, &crashAfter{Intake: e.intake, n: 4, cancel: crash})
	c, err := a.Create(ctx, Campaign{Tenant: "shop-1", Name: "spring", Audience: contacts.Audience{SegmentID: usSegment(t, ctx, e)}, TemplateID: tp.ID})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = a.Act(ctx, "shop-1", c.ID, campaign.Launch); err != nil || c.State != campaign.Running {
		t.Fatalf("Launch = %+v, %v", c, err)
	}
	if err := a.Expand(crashCtx, "shop-1", c.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("crashed expansion returned %v", err)
	}
	mid, err := a.Get(ctx, "shop-1", c.ID)
	if err != nil || mid.Cursor == 0 || mid.Counts.Expanded != 300 || mid.State != campaign.Running {
		t.Fatalf("after the crash: %+v, %v; want 3 steps committed", mid, err)
	}
	b := e.open(t, ctx, testLinks, nil)
	if err := b.Expand(ctx, "shop-1", c.ID); err != nil {
		t.Fatal(err)
	}
	done, err := b.Get(ctx, "shop-1", c.ID)
	if err != nil || done.State != campaign.Completed || done.Counts.Queued != int64(len(eligible)) || done.Counts.Expanded != 1000 ||
		done.Counts.Skipped != int64(1000-len(eligible)) || done.Counts.Failed != 0 || done.Counts.CostMicros != int64(len(eligible))*7900 {
		t.Fatalf("completed campaign %+v, %v; want %d queued", done, err, len(eligible))
	}
	recs := e.submitted(t, ctx)
	if len(recs) != len(eligible) {
		t.Fatalf("%d recipients got messages, want %d", len(recs), len(eligible))
	}
	links := b.NewLinks(1000)
	for to, byID := range recs {
		if _, ok := eligible[to]; !ok || len(byID) != 1 {
			t.Fatalf("%s got %d messages (eligible %v)", to, len(byID), ok)
		}
		for id, s := range byID {
			m := textRE.FindStringSubmatch(s.Body)
			i := 0
			fmt.Sscanf(to, "+1415%07d", &i)
			i -= 2000000
			name := fmt.Sprintf("N%d", i)
			if i%5 == 0 {
				name = "there"
			}
			if m == nil || m[1] != name || s.CampaignId != c.ID || s.Origin != "campaign/"+c.ID || s.Category != ternv1.Category_CATEGORY_MARKETING {
				t.Fatalf("message to %s: %+v", to, s)
			}
			target, err := links.Resolve(ctx, m[2])
			if err != nil || target.URL != "https://shop.example/sale" || target.ContactID != eligible[to] || target.MessageID != id || target.CampaignID != c.ID {
				t.Fatalf("link of %s: %+v, %v", to, target, err)
			}
		}
	}
	for _, code := range []string{"AAAAAAAAAA", "short", "../../etc"} {
		if _, err := links.Resolve(ctx, code); !errors.Is(err, ErrLinkNotFound) {
			t.Fatalf("Resolve(%q) = %v", code, err)
		}
	}
}

// TestQuietHours: a recipient whose local window is closed gets a
// message held until it opens.
func TestQuietHours(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	eligible := e.seed(t, ctx, 20)
	tp := saleTemplate(t, ctx, e)
	la, _ := time.LoadLocation("America/Los_Angeles")
	now := time.Now().In(la)
	start := now.Add(2 * time.Hour)
	w := quiet.Window{Start: quiet.ClockOf(start.Hour(), 0), End: quiet.ClockOf((start.Hour()+1)%24, 0)}
	s := e.open(t, ctx, Config{}, nil)
	c, err := s.Create(ctx, Campaign{Tenant: "shop-1", Name: "night", TemplateID: tp.ID, QuietHours: w})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, "shop-1", c.ID, campaign.Launch); err != nil {
		t.Fatal(err)
	}
	if err := s.Expand(ctx, "shop-1", c.ID); err != nil {
		t.Fatal(err)
	}
	want := w.Next(time.Now(), la)
	recs := e.submitted(t, ctx)
	if len(recs) != len(eligible) {
		t.Fatalf("%d messages, want %d", len(recs), len(eligible))
	}
	for to, byID := range recs {
		for _, r := range byID {
			if r.NotBefore == nil || !r.NotBefore.AsTime().Equal(want) || strings.Contains(r.Body, "127.0.0.1") {
				t.Fatalf("message to %s not before %v, want %v (body %q)", to, r.NotBefore.AsTime(), want, r.Body)
			}
		}
	}
}

func TestCreateRefusals(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	s := e.open(t, ctx, Config{}, nil)
	tp := saleTemplate(t, ctx, e)
	tests := []struct {
		c    Campaign
		want string
	}{
		{Campaign{Tenant: "shop-1", TemplateID: tp.ID}, "name:"},
		{Campaign{Tenant: "shop-1", Name: "x", TemplateID: "tpl_none"}, "template_id:"},
		{Campaign{Tenant: "shop-1", Name: "x", TemplateID: tp.ID, Rate: -1}, "rate:"},
		{Campaign{Tenant: "shop-1", Name: "x", TemplateID: tp.ID, Audience: contacts.Audience{SegmentID: 99}}, "audience:"},
		{Campaign{Tenant: "shop-1", Name: "x", TemplateID: tp.ID, Audience: contacts.Audience{Filter: &ternv1.SegmentFilter{}}}, "audience.filter:"},
		{Campaign{Tenant: "shop-1", Name: "x", TemplateID: tp.ID, SendAt: time.Now().Add(40 * 24 * time.Hour)}, "send_at:"},
		{Campaign{Tenant: "shop-2", Name: "x", TemplateID: tp.ID}, "template_id:"},
	}
	for _, tt := range tests {
		if _, err := s.Create(ctx, tt.c); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Create(%+v) = %v, want %q", tt.c, err, tt.want)
		}
	}
	c, err := s.Create(ctx, Campaign{Tenant: "shop-1", Name: "x", TemplateID: tp.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, "shop-1", c.ID, campaign.Resume); !errors.Is(err, campaign.ErrTransition) {
		t.Fatalf("resuming a draft: %v", err)
	}
	if _, err := s.Act(ctx, "shop-2", c.ID, campaign.Launch); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant launches it: %v", err)
	}
}
