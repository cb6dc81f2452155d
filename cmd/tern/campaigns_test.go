package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestCampaignsAcceptance runs issue 29's acceptance on `tern serve`
// processes sharing a broker, PostgreSQL, ClickHouse and the simulator:
//
//   - `tern contacts import` of a 10,000-row CSV with 37 bad rows of five
//     kinds reports exactly those rows by number; the rest are stored,
//     with the consent their rows give;
//   - a campaign to a segment, with a template using a name with a
//     fallback and a tracked link, is launched; tern is killed with
//     SIGKILL mid-expansion and started again; every contact of the
//     segment with marketing consent gets exactly one message, its own
//     text, and the opted-out and unconsented none;
//   - a click on a recipient's tracked link redirects to the campaign's
//     URL and is counted in the campaign's clicks; the contact's last
//     delivery and click are recorded;
//   - a paused campaign expands no further until resumed, and its queued
//     messages wait; a cancel withdraws the queued messages no carrier
//     had: those never reach it.
func TestCampaignsAcceptance(t *testing.T) {
	sim := smscsim.Config{Addr: "127.0.0.1:0", Seed: 29, DeliveredRatio: 1, ReceiptDelay: 50 * time.Millisecond}
	c := newCluster(t, sim, "window=10")
	// Small actor windows: against a slow carrier most of a campaign's
	// queued messages have not come to their actor yet.
	c.flags = []string{"--link-domain", "https://go.shop.example", "--actor-window", "4"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	inst := c.start("one")
	book := customers(10_000)

	t.Run("import", func(t *testing.T) { checkImport(t, ctx, c, inst, book) })
	if t.Failed() {
		return
	}
	a := c.campaignClients(inst)
	lisbon := a.segment(ctx, t, "Lisbon")
	tpl := a.template(ctx, t, "spring", `Hi {{first_name|"there"}}, the spring sale in {{city}} starts now: https://shop.example/spring`)
	var spring string
	t.Run("expansion survives SIGKILL", func(t *testing.T) {
		spring = a.launch(ctx, t, "spring", tpl, lisbon, 200)
		k := a.waitCounts(ctx, t, spring, "400 expanded", func(c *ternv1.Campaign) bool { return c.GetCounts().GetExpanded() >= 400 })
		inst.kill()
		if k.GetState() != ternv1.CampaignState_CAMPAIGN_STATE_RUNNING || k.GetCounts().GetExpanded() >= int64(book.count("Lisbon")) {
			t.Fatalf("killed after the expansion: %v", k)
		}
		t.Logf("killed at %d of %d expanded", k.GetCounts().GetExpanded(), book.count("Lisbon"))
		inst = c.start("one")
		a = c.campaignClients(inst)
		a.waitCounts(ctx, t, spring, "completed", func(c *ternv1.Campaign) bool {
			return c.GetState() == ternv1.CampaignState_CAMPAIGN_STATE_COMPLETED
		})
		codes := c.linkCodes(ctx, t, spring)
		want := map[string]string{}
		for _, r := range book.good("Lisbon", "yes") {
			want[r.phone] = fmt.Sprintf("Hi %s, the spring sale in Lisbon starts now: https://go.shop.example/l/%s", r.nameOr("there"), codes[r.phone])
		}
		c.waitSubmits(t, want)
		if n := c.sim.TotalSubmits(); n != len(want) {
			t.Fatalf("the simulator had %d submits, want %d: one per eligible contact, none to the opted out or unconsented", n, len(want))
		}
	})
	if t.Failed() {
		return
	}
	t.Run("click", func(t *testing.T) { a.checkClick(ctx, t, c, spring, book.good("Lisbon", "yes")[0].phone) })
	t.Run("pause, resume, cancel", func(t *testing.T) { a.checkPauseCancel(ctx, t, c, book) })
}

// checkImport imports the book's CSV with `tern contacts import` and
// checks the summary and what is stored.
func checkImport(t *testing.T, ctx context.Context, c *cluster, inst *instance, book customerBook) {
	file := filepath.Join(c.dir, "customers.csv")
	if err := os.WriteFile(file, book.csv(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, c.bin, "contacts", "import", file, "--list", "customers", "--api", "http://"+inst.api,
		"--consent-source", "checkout 2026", "--chunk", "65536")
	cmd.Env = append(os.Environ(), "TERN_API_KEY="+c.key)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tern contacts import: %v\n%s", err, stderr.String())
	}
	var sum struct {
		Imported, Rejected int64
		Errors             []struct {
			Row   int64
			Error string
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("summary %q: %v", stdout.String(), err)
	}
	if sum.Imported != int64(len(book.rows)) || sum.Rejected != int64(len(book.bad)) {
		t.Errorf("imported %d, rejected %d; want %d and %d", sum.Imported, sum.Rejected, len(book.rows), len(book.bad))
	}
	got := map[int64]string{}
	for _, e := range sum.Errors {
		got[e.Row] = e.Error
	}
	for row, kind := range book.bad {
		if _, ok := got[row]; !ok {
			t.Errorf("row %d (%s) not reported", row, kind)
		}
	}
	for row, e := range got {
		if _, ok := book.bad[row]; !ok {
			t.Errorf("row %d reported (%s), but it is good", row, e)
		}
	}
	if len(sum.Errors) != len(book.bad) {
		t.Errorf("%d errors reported, want %d", len(sum.Errors), len(book.bad))
	}
	a := c.campaignClients(inst)
	for _, k := range []struct {
		consent string
		state   ternv1.ConsentFilterState
	}{{"yes", ternv1.ConsentFilterState_CONSENT_FILTER_STATE_MARKETING}, {"opted_out", ternv1.ConsentFilterState_CONSENT_FILTER_STATE_OPTED_OUT},
		{"", ternv1.ConsentFilterState_CONSENT_FILTER_STATE_NO_RECORD}} {
		p, err := a.contacts.PreviewSegment(ctx, connect.NewRequest(&ternv1.PreviewSegmentRequest{Filter: &ternv1.SegmentFilter{
			Condition: &ternv1.SegmentFilter_Consent{Consent: &ternv1.ConsentCondition{State: k.state}}}}))
		if err != nil {
			t.Fatal(err)
		}
		if want := len(book.good("", k.consent)); p.Msg.GetCount() != int64(want) {
			t.Errorf("%d contacts with consent %v, want %d", p.Msg.GetCount(), k.state, want)
		}
	}
}

// campaignAPI are one instance's contact, template and campaign clients.
type campaignAPI struct {
	api       string
	contacts  ternv1connect.ContactServiceClient
	templates ternv1connect.TemplateServiceClient
	campaigns ternv1connect.CampaignServiceClient
}

func (c *cluster) campaignClients(in *instance) campaignAPI {
	url := "http://" + in.api
	return campaignAPI{api: url, contacts: ternv1connect.NewContactServiceClient(h2c(), url, bearer(c.key)),
		templates: ternv1connect.NewTemplateServiceClient(h2c(), url, bearer(c.key)),
		campaigns: ternv1connect.NewCampaignServiceClient(h2c(), url, bearer(c.key))}
}

// segment stores the segment of the contacts of city.
func (a campaignAPI) segment(ctx context.Context, t *testing.T, city string) int64 {
	t.Helper()
	sg, err := a.contacts.CreateSegment(ctx, connect.NewRequest(&ternv1.CreateSegmentRequest{Name: city, Filter: &ternv1.SegmentFilter{
		Condition: &ternv1.SegmentFilter_Field{Field: &ternv1.FieldCondition{Field: ternv1.ContactField_CONTACT_FIELD_ATTRIBUTE, Attribute: "city",
			Op: ternv1.FieldOperator_FIELD_OPERATOR_EQUALS, Value: city}}}}))
	if err != nil {
		t.Fatal(err)
	}
	return sg.Msg.GetSegment().GetId()
}

// template stores a marketing template of body.
func (a campaignAPI) template(ctx context.Context, t *testing.T, name, body string) string {
	t.Helper()
	tp, err := a.templates.CreateTemplate(ctx, connect.NewRequest(&ternv1.CreateTemplateRequest{Template: &ternv1.Template{Name: name,
		Category: ternv1.Category_CATEGORY_MARKETING, Body: body}}))
	if err != nil {
		t.Fatal(err)
	}
	return tp.Msg.GetTemplate().GetId()
}

// launch creates and launches a campaign to a segment at rate.
func (a campaignAPI) launch(ctx context.Context, t *testing.T, name, tpl string, segment int64, rate int32) string {
	t.Helper()
	cp, err := a.campaigns.CreateCampaign(ctx, connect.NewRequest(&ternv1.CreateCampaignRequest{Campaign: &ternv1.Campaign{Name: name,
		TemplateId: tpl, Audience: &ternv1.Audience{SegmentId: segment}, Rate: rate}}))
	if err != nil {
		t.Fatal(err)
	}
	id := cp.Msg.GetCampaign().GetId()
	if _, err := a.campaigns.LaunchCampaign(ctx, connect.NewRequest(&ternv1.LaunchCampaignRequest{Id: id})); err != nil {
		t.Fatal(err)
	}
	return id
}

// get reads a campaign.
func (a campaignAPI) get(ctx context.Context, id string) (*ternv1.Campaign, error) {
	got, err := a.campaigns.GetCampaign(ctx, connect.NewRequest(&ternv1.GetCampaignRequest{Id: id}))
	if err != nil {
		return nil, err
	}
	return got.Msg.GetCampaign(), nil
}

// waitCounts polls a campaign until ok says so, and returns it.
func (a campaignAPI) waitCounts(ctx context.Context, t *testing.T, id, what string, ok func(*ternv1.Campaign) bool) *ternv1.Campaign {
	t.Helper()
	var last *ternv1.Campaign
	testkit.Eventually(t, 4*time.Minute, func() error {
		c, err := a.get(ctx, id)
		if err != nil {
			return err
		}
		if last = c; !ok(c) {
			return fmt.Errorf("campaign %s not %s: %v, %v", id, what, c.GetState(), c.GetCounts())
		}
		return nil
	})
	return last
}

// waitSubmits waits until the simulator had each text once for its
// number.
func (c *cluster) waitSubmits(t *testing.T, want map[string]string) {
	t.Helper()
	testkit.Eventually(t, 4*time.Minute, func() error {
		missing := 0
		var example string
		for to, text := range want {
			if n := c.sim.Submits(to, text); n != 1 {
				missing++
				example = fmt.Sprintf("%s had %q %d times", to, text, n)
			}
		}
		if missing > 0 {
			return fmt.Errorf("%d of %d recipients without exactly one message, e.g. %s", missing, len(want), example)
		}
		return nil
	})
}

// checkClick follows the tracked link one recipient got, and waits for
// its click in the campaign's counts and the contact's last delivery and
// click; an unknown code gets 404.
func (a campaignAPI) checkClick(ctx context.Context, t *testing.T, c *cluster, id, phone string) {
	code := c.linkCodes(ctx, t, id)[phone]
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, k := range []struct {
		code   string
		status int
		to     string
	}{{code, http.StatusFound, "https://shop.example/spring"}, {"AAAAAAAAAA", http.StatusNotFound, ""}} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.api+"/l/"+k.code, nil)
		req.Header.Set("User-Agent", "acceptance-test")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != k.status || resp.Header.Get("Location") != k.to {
			t.Fatalf("GET /l/%s: %s to %q, want %d to %q", k.code, resp.Status, resp.Header.Get("Location"), k.status, k.to)
		}
	}
	a.waitCounts(ctx, t, id, "clicked once", func(c *ternv1.Campaign) bool { return c.GetCounts().GetClicks() == 1 })
	testkit.Eventually(t, time.Minute, func() error {
		got, err := a.contacts.GetContact(ctx, connect.NewRequest(&ternv1.GetContactRequest{Phone: phone}))
		if err != nil {
			return err
		}
		if k := got.Msg.GetContact(); k.GetLastDeliveredAt() == nil || k.GetLastClickedAt() == nil {
			return fmt.Errorf("contact %s: last delivered %v, last clicked %v; want both", phone, k.GetLastDeliveredAt(), k.GetLastClickedAt())
		}
		return nil
	})
}

// checkPauseCancel runs a campaign to the Porto segment against a slow
// carrier: paused, it expands no further; resumed, it goes on; canceled,
// the messages still queued are withdrawn and never reach the carrier.
func (a campaignAPI) checkPauseCancel(ctx context.Context, t *testing.T, c *cluster, book customerBook) {
	c.sim.SetLatency(2*time.Second, 0) // 10 in flight: 5 a second, against the campaign's 100
	base := c.sim.TotalSubmits()
	porto := a.segment(ctx, t, "Porto")
	tpl := a.template(ctx, t, "last day", `{{first_name|"Friend"}}: last day of the sale`)
	id := a.launch(ctx, t, "last day", tpl, porto, 100)
	a.waitCounts(ctx, t, id, "300 expanded", func(c *ternv1.Campaign) bool { return c.GetCounts().GetExpanded() >= 300 })
	if _, err := a.campaigns.PauseCampaign(ctx, connect.NewRequest(&ternv1.PauseCampaignRequest{Id: id})); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // a pause stops the expansion within the step in flight
	paused, err := a.get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	later, err := a.get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if paused.GetState() != ternv1.CampaignState_CAMPAIGN_STATE_PAUSED || later.GetCounts().GetExpanded() != paused.GetCounts().GetExpanded() {
		t.Fatalf("paused: %v expanded %d, 2s later %d", paused.GetState(), paused.GetCounts().GetExpanded(), later.GetCounts().GetExpanded())
	}
	testkit.Eventually(t, time.Minute, func() error {
		waiting, err := c.store.Scheduled(ctx)
		if err != nil {
			return err
		}
		if waiting["campaign_paused"] == 0 {
			return fmt.Errorf("no queued message waits for the paused campaign: %v", waiting)
		}
		return nil
	})
	if _, err := a.campaigns.ResumeCampaign(ctx, connect.NewRequest(&ternv1.ResumeCampaignRequest{Id: id})); err != nil {
		t.Fatal(err)
	}
	e := paused.GetCounts().GetExpanded()
	a.waitCounts(ctx, t, id, "expanding again", func(c *ternv1.Campaign) bool { return c.GetCounts().GetExpanded() >= e+300 })
	if _, err := a.campaigns.CancelCampaign(ctx, connect.NewRequest(&ternv1.CancelCampaignRequest{Id: id})); err != nil {
		t.Fatal(err)
	}
	k := a.waitCounts(ctx, t, id, "withdrawn", func(c *ternv1.Campaign) bool {
		n := c.GetCounts()
		return c.GetState() == ternv1.CampaignState_CAMPAIGN_STATE_CANCELED && n.GetWithdrawn()+n.GetNotWithdrawn() == n.GetQueued()
	}).GetCounts()
	if k.GetWithdrawn() == 0 || k.GetQueued() >= int64(len(book.good("Porto", "yes"))) {
		t.Fatalf("canceled with %v: want some withdrawn, and fewer queued than the segment's %d", k, len(book.good("Porto", "yes")))
	}
	c.sim.SetLatency(0, 0)
	want := int(k.GetQueued() - k.GetWithdrawn())
	testkit.Eventually(t, 4*time.Minute, func() error {
		if n := c.sim.TotalSubmits() - base; n != want {
			return fmt.Errorf("%d of the campaign's messages reached the carrier, want %d: queued %d, withdrawn %d", n, want, k.GetQueued(), k.GetWithdrawn())
		}
		return nil
	})
	sent := 0
	for _, r := range book.good("Porto", "yes") {
		n := c.sim.Submits(r.phone, r.nameOr("Friend")+": last day of the sale")
		if n > 1 {
			t.Errorf("%s got the message %d times", r.phone, n)
		}
		sent += n
	}
	if sent != want {
		t.Errorf("%d recipients got their own text, want %d", sent, want)
	}
	t.Logf("queued %d, withdrawn %d, not withdrawn %d", k.GetQueued(), k.GetWithdrawn(), k.GetNotWithdrawn())
}
