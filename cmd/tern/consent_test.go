package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/testkit"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// shopNumber is the consent tests' tenant's default sender: replies to it
// are the tenant's.
const shopNumber = "+14155550100"

// consentShop is one tenant's view of one instance: its messages,
// contacts and admin services.
type consentShop struct {
	t        *testing.T
	name     string
	messages ternv1connect.MessageServiceClient
	contacts ternv1connect.ContactServiceClient
	admin    ternv1connect.AdminServiceClient
}

func newConsentShop(t *testing.T, in *instance, key, adminKey string) *consentShop {
	url := "http://" + in.api
	return &consentShop{t: t, name: in.name,
		messages: ternv1connect.NewMessageServiceClient(h2c(), url, bearer(key)),
		contacts: ternv1connect.NewContactServiceClient(h2c(), url, bearer(key)),
		admin:    ternv1connect.NewAdminServiceClient(h2c(), url, bearer(adminKey))}
}

func (s *consentShop) send(ctx context.Context, req *ternv1.SendRequest) (*ternv1.SendResponse, error) {
	resp, err := s.messages.Send(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

// until polls, for up to a minute, until a Send of req on s is refused
// with code and a message starting with text, or with code 0 accepted.
func (s *consentShop) until(ctx context.Context, req *ternv1.SendRequest, code connect.Code, text string) {
	s.t.Helper()
	testkit.Eventually(s.t, time.Minute, func() error {
		_, err := s.send(ctx, req)
		switch {
		case code == 0 && err == nil:
			return nil
		case code != 0 && connect.CodeOf(err) == code && strings.HasPrefix(connectMessage(err), text):
			return nil
		}
		return fmt.Errorf("%s: Send to %s: %v, want %v %q", s.name, req.To, err, code, text)
	})
}

// events returns number's consent history and state.
func (s *consentShop) events(ctx context.Context, number string) *ternv1.ListConsentEventsResponse {
	s.t.Helper()
	r, err := s.contacts.ListConsentEvents(ctx, connect.NewRequest(&ternv1.ListConsentEventsRequest{Number: number}))
	if err != nil {
		s.t.Fatalf("ListConsentEvents: %v", err)
	}
	return r.Msg
}

// replied waits until number's latest reply is stored with action.
func (s *consentShop) replied(ctx context.Context, number, text, action string) {
	s.t.Helper()
	testkit.Eventually(s.t, time.Minute, func() error {
		r, err := s.contacts.ListInbound(ctx, connect.NewRequest(&ternv1.ListInboundRequest{Number: number}))
		if err != nil {
			return err
		}
		for _, in := range r.Msg.GetReplies() {
			if in.GetText() == text && in.GetAction() == action {
				return nil
			}
		}
		return fmt.Errorf("no reply %q from %s with action %q yet: %v", text, number, action, r.Msg.GetReplies())
	})
}

// submittedTimes waits until the simulator has had text for to exactly n
// times.
func submittedTimes(t *testing.T, sim *smscsim.Server, to, text string, n int) {
	t.Helper()
	testkit.Eventually(t, time.Minute, func() error {
		if got := sim.Submits(to, text); got != n {
			return fmt.Errorf("%q to %s submitted %d times, want %d", text, to, got, n)
		}
		return nil
	})
}

// reply has the simulator deliver a handset's reply to the shop's number.
func reply(t *testing.T, ctx context.Context, sim *smscsim.Server, from, text string) {
	t.Helper()
	testkit.Eventually(t, 30*time.Second, func() error { return sim.SendMO(ctx, "tern", from, shopNumber, text) })
}

const (
	acmeHelp = "Acme: help at acme.example/help. Msg&data rates may apply. Reply STOP to opt out."
	acmeStop = "Acme: You are unsubscribed and will get no more messages. Reply START to resubscribe."
)

// TestConsentAcrossInstances is the consent acceptance through the real
// binary: two `tern serve` instances on one broker and PostgreSQL, the
// simulator SMSC as carrier and handsets. A STOP from a handset is
// honoured on both instances, also by a message scheduled before it,
// confirmed once, and reversed by START; phrases count, chatter does not;
// HELP gets the tenant's text; a double opt-in needs YES from its own
// number; marketing needs consent; a revoked key, the country rule for
// sender ids, the audit trail and an erase hold on either instance.
func TestConsentAcrossInstances(t *testing.T) {
	t.Parallel()
	c := newCluster(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1, DeliveredRatio: 1, ReceiptDelay: 50 * time.Millisecond}, "")
	adminKey := newAPIKey()
	c.writeConfig(fmt.Sprintf("    name: Acme\n    senders:\n      - {id: %q, default: true}\n      - {id: ACME}\nadmin_key_sha256: [%q]\n",
		shopNumber, api.KeyHash(adminKey)))
	a, b := c.start("a"), c.start("b")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sa, sb := newConsentShop(t, a, c.key, adminKey), newConsentShop(t, b, c.key, adminKey)
	if _, err := sa.admin.UpdateConsentPolicy(ctx, connect.NewRequest(&ternv1.UpdateConsentPolicyRequest{TenantId: "shop",
		Policy: &ternv1.ConsentPolicy{HelpText: acmeHelp}})); err != nil {
		t.Fatal(err)
	}

	t.Run("STOP", func(t *testing.T) { testStopAcrossInstances(t, ctx, c, sa, sb) })
	t.Run("phrases", func(t *testing.T) {
		for _, p := range []struct{ from, text, action string }{
			{"+14155552702", "Please stop texting me", "opted_out"},
			{"+14155552703", "ALTO", "opted_out"},
			{"+14155552704", "stop by our store today", "none"},
		} {
			reply(t, ctx, c.sim, p.from, p.text)
			sa.replied(ctx, p.from, p.text, p.action)
			req := &ternv1.SendRequest{To: p.from, Body: "Your order shipped"}
			if p.action == "none" {
				sb.until(ctx, req, 0, "")
				continue
			}
			sb.until(ctx, req, connect.CodeFailedPrecondition, "to: recipient opted out")
		}
	})
	t.Run("HELP", func(t *testing.T) {
		reply(t, ctx, c.sim, "+14155552705", "HELP")
		submittedTimes(t, c.sim, "+14155552705", acmeHelp, 1)
	})
	t.Run("double opt-in", func(t *testing.T) { testDoubleOptIn(t, ctx, c, sa, sb) })
	t.Run("marketing needs consent", func(t *testing.T) {
		const to = "+14155552710"
		req := &ternv1.SendRequest{To: to, Body: "Spring sale: 20% off", Category: ternv1.Category_CATEGORY_MARKETING}
		sa.until(ctx, req, connect.CodeFailedPrecondition, "to: no marketing consent")
		if _, err := sa.contacts.RecordConsent(ctx, connect.NewRequest(&ternv1.RecordConsentRequest{Number: to,
			Method: ternv1.ConsentMethod_CONSENT_METHOD_CHECKOUT_CHECKBOX, Source: "https://shop.example/checkout", Disclosure: "v3"})); err != nil {
			t.Fatal(err)
		}
		sb.until(ctx, req, 0, "")
	})
	t.Run("revoked key", func(t *testing.T) { testRevokedKey(t, ctx, b, sa) })
	t.Run("sender country rule", func(t *testing.T) {
		_, err := sa.send(ctx, &ternv1.SendRequest{To: "+14155552720", From: "ACME", Body: "Your order shipped"})
		if connect.CodeOf(err) != connect.CodeInvalidArgument || connectMessage(err) != "from: alphanumeric sender ids are not allowed for US (numbers only)" {
			t.Errorf("alphanumeric sender to the US: %v, want InvalidArgument naming the rule", err)
		}
		if _, err := sa.send(ctx, &ternv1.SendRequest{To: "+4915112345678", From: "ACME", Body: "Ihre Bestellung ist unterwegs"}); err != nil {
			t.Errorf("alphanumeric sender to Germany: %v", err)
		}
	})
}

// testStopAcrossInstances: a STOP, a second STOP, then START, from one
// handset.
func testStopAcrossInstances(t *testing.T, ctx context.Context, c *cluster, sa, sb *consentShop) {
	const to = "+14155552701"
	// Due well after the STOP has had time to reach every instance.
	later, err := sa.send(ctx, &ternv1.SendRequest{To: to, Body: "Your order arrives tomorrow", SendAt: timestamppb.New(time.Now().Add(30 * time.Second))})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	reply(t, ctx, c.sim, to, "STOP")
	order := &ternv1.SendRequest{To: to, Body: "Your order shipped"}
	sb.until(ctx, order, connect.CodeFailedPrecondition, "to: recipient opted out")
	t.Logf("STOP refused on the second instance %v after the simulator delivered it", time.Since(start).Round(time.Millisecond))
	sa.until(ctx, order, connect.CodeFailedPrecondition, "to: recipient opted out")
	testkit.Eventually(t, 2*time.Minute, func() error {
		m, err := sb.messages.GetMessage(ctx, connect.NewRequest(&ternv1.GetMessageRequest{Id: later.GetId()}))
		if err != nil {
			return err
		}
		if m.Msg.GetMessage().GetStatus() != ternv1.Status_STATUS_FAILED || m.Msg.GetMessage().GetReason() != "opted out" {
			return fmt.Errorf("message scheduled before the STOP: %v", m.Msg.GetMessage())
		}
		return nil
	})
	if n := c.sim.Submits(to, "Your order arrives tomorrow"); n != 0 {
		t.Errorf("message scheduled before the STOP submitted %d times", n)
	}
	// A second STOP changes nothing and is not confirmed again.
	reply(t, ctx, c.sim, to, "stop")
	sa.replied(ctx, to, "stop", "already_opted_out")
	submittedTimes(t, c.sim, to, acmeStop, 1)

	reply(t, ctx, c.sim, to, "START")
	sb.until(ctx, order, 0, "")
	sa.until(ctx, order, 0, "")

	// The audit trail, then an erase that leaves the number suppressed.
	evs := sb.events(ctx, to).GetEvents()
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, strings.TrimPrefix(e.GetKind().String(), "CONSENT_KIND_")+"/"+strings.TrimPrefix(e.GetMethod().String(), "CONSENT_METHOD_"))
	}
	if got := strings.Join(kinds, " "); got != "OPT_OUT/KEYWORD OPT_OUT/KEYWORD OPT_IN/KEYWORD" {
		t.Errorf("consent history %q, want the two STOPs and the START", got)
	}
	er, err := sa.contacts.EraseNumber(ctx, connect.NewRequest(&ternv1.EraseNumberRequest{Number: to}))
	if err != nil || er.Msg.GetConsentEventsErased() != int64(len(evs)) {
		t.Fatalf("EraseNumber = %v, %v", er, err)
	}
	if st := sb.events(ctx, to); len(st.GetEvents()) != 0 || !st.GetState().GetErased() || !st.GetState().GetOptedOut() {
		t.Errorf("after the erase: %v", st)
	}
	sb.until(ctx, order, connect.CodeFailedPrecondition, "to: recipient opted out")
}

// testDoubleOptIn: the opt-in waits for YES from the number asked.
func testDoubleOptIn(t *testing.T, ctx context.Context, c *cluster, sa, sb *consentShop) {
	const asked, other = "+14155552706", "+14155552707"
	r, err := sb.contacts.RecordConsent(ctx, connect.NewRequest(&ternv1.RecordConsentRequest{Number: asked,
		Method: ternv1.ConsentMethod_CONSENT_METHOD_DOUBLE_OPT_IN, Source: "popup"}))
	if err != nil || !r.Msg.GetConfirmationSent() {
		t.Fatalf("RecordConsent double opt-in = %v, %v", r, err)
	}
	submittedTimes(t, c.sim, asked, "Acme: Reply Y to confirm you want marketing texts. Msg frequency varies. Msg&data rates may apply. Reply HELP for help, STOP to opt out.", 1)
	sale := &ternv1.SendRequest{To: asked, Body: "Members' sale", Category: ternv1.Category_CATEGORY_MARKETING}
	if _, err := sa.send(ctx, sale); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Errorf("marketing before the confirmation: %v, want FailedPrecondition", err)
	}
	reply(t, ctx, c.sim, other, "YES")
	sa.replied(ctx, other, "YES", "none")
	if st := sa.events(ctx, asked).GetState(); st.GetMarketing() || st.GetPendingUntil() == nil {
		t.Errorf("after a YES from another number: %v, want still pending", st)
	}
	reply(t, ctx, c.sim, asked, "YES")
	sa.replied(ctx, asked, "YES", "confirmed")
	sb.until(ctx, sale, 0, "")
}

// testRevokedKey: a key made on one instance works on the other, and is
// refused there once revoked.
func testRevokedKey(t *testing.T, ctx context.Context, b *instance, sa *consentShop) {
	k, err := sa.admin.CreateApiKey(ctx, connect.NewRequest(&ternv1.CreateApiKeyRequest{TenantId: "shop", Name: "checkout",
		Scopes: []ternv1.ApiKeyScope{ternv1.ApiKeyScope_API_KEY_SCOPE_SEND}}))
	if err != nil {
		t.Fatal(err)
	}
	other := newConsentShop(t, b, k.Msg.GetKey(), "")
	req := &ternv1.SendRequest{To: "+14155552730", Body: "Your order shipped"}
	other.until(ctx, req, 0, "")
	start := time.Now()
	if _, err := sa.admin.RevokeApiKey(ctx, connect.NewRequest(&ternv1.RevokeApiKeyRequest{TenantId: "shop", Id: k.Msg.GetApiKey().GetId()})); err != nil {
		t.Fatal(err)
	}
	other.until(ctx, req, connect.CodeUnauthenticated, "unknown API key")
	t.Logf("revoked key refused on the other instance %v after RevokeApiKey was called", time.Since(start).Round(time.Millisecond))
}

// optIn records marketing opt-ins of the cluster's tenant for numbers in
// its consent ledger, as an import would, for loads that send marketing.
// Instances started later load them; running ones hear of them on the
// suppressions topic.
func (c *cluster) optIn(ctx context.Context, numbers []string) {
	c.t.Helper()
	idKey, err := hex.DecodeString(clusterIDKey)
	if err != nil {
		c.t.Fatal(err)
	}
	tc := consentlog.TopicConfig{Brokers: []string{c.brokers}, Topic: "tern.suppressions"}
	if err := consentlog.EnsureTopic(ctx, tc, 8, 1); err != nil {
		c.t.Fatal(err)
	}
	l, err := consentlog.Open(ctx, c.pgURL, consentlog.NewHasher(idKey), tc)
	if err != nil {
		c.t.Fatal(err)
	}
	defer l.Close()
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(numbers); i = int(next.Add(1) - 1) {
				ev := consentlog.Event{Tenant: "shop", Number: numbers[i], Kind: consent.OptIn, Scope: consent.ScopeMarketing,
					Method: consentlog.MethodImport, Source: "test fixture"}
				if _, _, _, err := l.Record(ctx, ev); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		c.t.Fatalf("opt-in: %v", err)
	}
}
