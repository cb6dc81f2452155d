package api

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/pipeline"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/inbound"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// sentRecorder stands where the pipeline's Intake will: it keeps what the
// contact service queues.
type sentRecorder struct {
	mu   sync.Mutex
	reqs []pipeline.Request
}

func (r *sentRecorder) Send(_ context.Context, reqs []pipeline.Request, out []pipeline.Result) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, reqs...)
	for i := range out {
		out[i] = pipeline.Result{ID: "m", Status: core.StatusQueued}
	}
	return nil
}

func TestContactService(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := pgtest.URL(t)
	ts, err := tenants.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
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
	topic := consentlog.TopicConfig{Brokers: []string{kafkatest.Broker(t)}, Topic: "tern.suppressions"}
	if err := consentlog.EnsureTopic(ctx, topic, 2, 1); err != nil {
		t.Fatal(err)
	}
	ledger, err := consentlog.Open(ctx, url, consentlog.NewHasher([]byte("api-test")), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	replies, err := inbound.OpenStore(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer replies.Close()
	sent := &sentRecorder{}
	svc := NewContactService(ContactDeps{Writer: ledger, Reader: ledger, Replies: replies, Tenants: reg, Sender: sent})
	shop := withCaller(ctx, Caller{Tenant: "shop-1", Scopes: tenants.DefaultScopes})
	const num = "+14155552671"

	bad := []struct {
		name string
		req  *ternv1.RecordConsentRequest
		text string
	}{
		{"no number", &ternv1.RecordConsentRequest{Method: ternv1.ConsentMethod_CONSENT_METHOD_WEB_FORM}, "number: required"},
		{"unknown number", &ternv1.RecordConsentRequest{Number: "+999", Method: ternv1.ConsentMethod_CONSENT_METHOD_WEB_FORM}, "number: not a valid"},
		{"no method", &ternv1.RecordConsentRequest{Number: num}, "method:"},
		{"bad ip", &ternv1.RecordConsentRequest{Number: num, Method: ternv1.ConsentMethod_CONSENT_METHOD_WEB_FORM, Ip: "nope"}, "ip:"},
	}
	for _, b := range bad {
		if _, err := svc.RecordConsent(shop, connect.NewRequest(b.req)); connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), b.text) {
			t.Errorf("%s: %v, want InvalidArgument %q", b.name, err, b.text)
		}
	}
	rec, err := svc.RecordConsent(shop, connect.NewRequest(&ternv1.RecordConsentRequest{Number: num, Method: ternv1.ConsentMethod_CONSENT_METHOD_WEB_FORM,
		Source: "https://shop.example/join", Disclosure: "v1", Ip: "192.0.2.1", UserAgent: "UA"}))
	if err != nil || !rec.Msg.GetState().GetMarketing() || rec.Msg.GetEvent().GetMethod() != ternv1.ConsentMethod_CONSENT_METHOD_WEB_FORM {
		t.Fatalf("RecordConsent = %v, %v", rec, err)
	}
	if _, err := svc.RevokeConsent(shop, connect.NewRequest(&ternv1.RevokeConsentRequest{Number: num})); err != nil {
		t.Fatal(err)
	}
	list, err := svc.ListConsentEvents(shop, connect.NewRequest(&ternv1.ListConsentEventsRequest{Number: num}))
	if err != nil || len(list.Msg.GetEvents()) != 2 || !list.Msg.GetState().GetOptedOut() ||
		list.Msg.GetEvents()[1].GetKind() != ternv1.ConsentKind_CONSENT_KIND_OPT_OUT || list.Msg.GetEvents()[0].GetIp() != "192.0.2.1" {
		t.Fatalf("ListConsentEvents = %v, %v", list, err)
	}

	// Double opt-in: the confirmation text goes from the default sender,
	// once; the consent waits.
	other := "+14155552672"
	doi := &ternv1.RecordConsentRequest{Number: other, Method: ternv1.ConsentMethod_CONSENT_METHOD_DOUBLE_OPT_IN, Source: "popup"}
	for i, want := range []bool{true, false} {
		r, err := svc.RecordConsent(shop, connect.NewRequest(doi))
		if err != nil || r.Msg.GetConfirmationSent() != want || r.Msg.GetState().GetMarketing() || r.Msg.GetState().GetPendingUntil() == nil {
			t.Fatalf("double opt-in call %d = %v, %v", i, r, err)
		}
	}
	if len(sent.reqs) != 1 || sent.reqs[0].From != "+14155550100" || sent.reqs[0].To != other ||
		!strings.HasPrefix(sent.reqs[0].Body, "Acme: Reply Y to confirm") || !consent.IsExempt(sent.reqs[0].Origin) {
		t.Fatalf("confirmation texts %+v", sent.reqs)
	}

	// Erase: the trail goes, the number stays suppressed.
	er, err := svc.EraseNumber(shop, connect.NewRequest(&ternv1.EraseNumberRequest{Number: num}))
	if err != nil || er.Msg.GetConsentEventsErased() != 2 {
		t.Fatalf("EraseNumber = %v, %v", er, err)
	}
	list, err = svc.ListConsentEvents(shop, connect.NewRequest(&ternv1.ListConsentEventsRequest{Number: num}))
	if err != nil || len(list.Msg.GetEvents()) != 0 || !list.Msg.GetState().GetErased() || !list.Msg.GetState().GetOptedOut() {
		t.Fatalf("after erase: %v, %v", list, err)
	}
	if _, err := svc.ListInbound(shop, connect.NewRequest(&ternv1.ListInboundRequest{PageToken: "!!"})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("bad page token: %v", err)
	}
	if r, err := svc.ListInbound(shop, connect.NewRequest(&ternv1.ListInboundRequest{Number: num})); err != nil || len(r.Msg.GetReplies()) != 0 {
		t.Fatalf("ListInbound = %v, %v", r, err)
	}
}
