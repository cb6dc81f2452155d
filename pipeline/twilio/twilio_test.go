package twilio

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	tw "github.com/ternsms/tern/core/twilio"
	"github.com/ternsms/tern/pipeline"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

func TestAccounts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	a, token, err := e.store.CreateAccount(ctx, e.tokens, "shop-1", "checkout", "")
	if err != nil {
		t.Fatal(err)
	}
	if !tw.ValidSID(tw.PrefixAccount, a.SID) || !tw.ValidSID(tw.PrefixVerifyService, a.VerifyServiceSID) || len(token) != 32 || token != e.tokens.Token(a.SID) {
		t.Fatalf("account %+v, token %q", a, token)
	}
	if got, err := e.store.Authenticate(ctx, a.SID, token); err != nil || got.Tenant != "shop-1" {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	for _, bad := range []struct{ sid, token string }{{a.SID, token[:31] + "x"}, {tw.NewSID(tw.PrefixAccount), token}, {"ACnope", token}} {
		if _, err := e.store.Authenticate(ctx, bad.sid, bad.token); !errors.Is(err, ErrAuth) {
			t.Errorf("Authenticate(%s, …) = %v", bad.sid, err)
		}
	}
	if NewTokens([]byte("another secret")).Token(a.SID) == token {
		t.Fatal("the secret does not enter the token")
	}
	if _, _, err := e.store.CreateAccount(ctx, e.tokens, "shop-1", "", "ftp://x"); err == nil || !strings.HasPrefix(err.Error(), "sms_url:") {
		t.Fatalf("bad SMS URL: %v", err)
	}
	if err := e.store.RevokeAccount(ctx, a.SID); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if _, err := e.store.Authenticate(ctx, a.SID, token); !errors.Is(err, ErrAuth) {
			return fmt.Errorf("revoked account: %v", err)
		}
		return nil
	})
	if list, err := e.store.Accounts(ctx, "shop-1"); err != nil || len(list) != 1 || list[0].Revoked.IsZero() {
		t.Fatalf("Accounts = %+v, %v", list, err)
	}
}

// TestStatusCallbacks: the events of a message sent through the surface
// update its status, and each change is posted to its StatusCallback,
// signed as Twilio signs, again after a failed post.
func TestStatusCallbacks(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	a, token, err := e.store.CreateAccount(ctx, e.tokens, "shop-1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, token, func(n int) (int, string) {
		if n == 1 {
			return 500, "" // the first post fails: it is posted again
		}
		return 204, ""
	})
	m, err := e.store.Send(ctx, e.intake, a, Outgoing{To: "+14155552671", From: "+14155550100", Body: "Your order shipped", StatusCallback: rcv.srv.URL + "/status?shop=1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.store.Message(ctx, a.SID, m.SID); err != nil || got.MessageID != m.MessageID || got.Body != "Your order shipped" {
		t.Fatalf("Message = %+v, %v", got, err)
	}
	if _, err := e.store.Send(ctx, e.intake, a, Outgoing{To: "+1999", Body: "x"}); !errors.As(err, new(*pipeline.FieldError)) {
		t.Fatalf("bad number: %v", err)
	}
	f, err := NewFollower(FollowerConfig{Brokers: e.kafka.Brokers, Events: e.kafka.Topics.Events}, e.store, Outbox{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, f.Run)
	run(t, ctx, NewDispatcher(e.store, e.tokens, WithBackoff(func(int) time.Duration { return 10 * time.Millisecond })).Run)
	now := time.Now()
	ev := func(st ternv1.Status, at time.Time, carrier string) proto.Message {
		return &recordv1.Event{MessageId: m.MessageID, TenantId: "shop-1", Status: st, Time: timestamppb.New(at), Carrier: carrier, Origin: OriginPrefix + a.SID}
	}
	other := &recordv1.Event{MessageId: "not-ours", Status: ternv1.Status_STATUS_DELIVERED, Time: timestamppb.Now()}
	// Out of order, once twice: the latest state wins, each status posts once.
	produce(t, ctx, e.kafka.Brokers, e.kafka.Topics.Events, other,
		ev(ternv1.Status_STATUS_QUEUED, now, ""),
		ev(ternv1.Status_STATUS_SUBMITTED, now.Add(time.Second), "sim"),
		ev(ternv1.Status_STATUS_DELIVERED, now.Add(2*time.Second), "sim"),
		ev(ternv1.Status_STATUS_SUBMITTED, now.Add(time.Second), "sim"))
	testkit.Eventually(t, 30*time.Second, func() error {
		got, err := e.store.Message(ctx, a.SID, m.SID)
		if st, _ := got.Status(time.Now()); err != nil || st != tw.StatusDelivered || got.Sent.IsZero() {
			return fmt.Errorf("message %+v, %v", got, err)
		}
		posts := rcv.got()
		var statuses []string
		for _, p := range posts {
			if !p.valid {
				return fmt.Errorf("post with a bad signature: %v", p.form)
			}
			statuses = append(statuses, p.form.Get("MessageStatus"))
		}
		// One callback for sent, one for delivered (posted concurrently,
		// so in either order); the first post failed and came again.
		if len(statuses) != 3 {
			return fmt.Errorf("callbacks %q", statuses)
		}
		done := slices.Sorted(slices.Values(statuses[1:]))
		if !slices.Equal(done, []string{"delivered", "sent"}) || !slices.Contains(done, statuses[0]) {
			return fmt.Errorf("callbacks %q", statuses)
		}
		return nil
	})
	p := rcv.got()[len(rcv.got())-1].form
	if p.Get("MessageSid") != m.SID || p.Get("AccountSid") != a.SID || p.Get("To") != "+14155552671" || p.Get("ApiVersion") != tw.APIVersion {
		t.Fatalf("callback form %v", p)
	}
}

// TestInbound: a reply to the tenant's number is posted to its SMS URL
// as Twilio posts it, and the TwiML answer is sent back to the customer.
func TestInbound(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	a, _, err := e.store.CreateAccount(ctx, e.tokens, "shop-1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, e.tokens.Token(a.SID), func(int) (int, string) {
		return 200, `<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks! Your order ships today.</Message></Response>`
	})
	if err := e.store.SetSMSURL(ctx, a.SID, rcv.srv.URL+"/sms"); err != nil {
		t.Fatal(err)
	}
	in, err := NewInbound(InboundConfig{Brokers: e.kafka.Brokers, MO: e.kafka.Topics.MO}, e.store, e.tokens, e.reg, e.intake, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, in.Run)
	produce(t, ctx, e.kafka.Brokers, e.kafka.Topics.MO,
		&recordv1.Inbound{Carrier: "sim", From: "14155552671", To: "14155550100", Text: "When does my order ship?", ReceivedAt: timestamppb.Now()},
		&recordv1.Inbound{Carrier: "sim", From: "14155552671", To: "15555550000", Text: "to nobody's number"})
	var reply Message
	testkit.Eventually(t, 30*time.Second, func() error {
		list, _, err := e.store.List(ctx, ListQuery{Account: a.SID, PageSize: 10})
		if err != nil || len(list) != 1 {
			return fmt.Errorf("messages %+v, %v", list, err)
		}
		reply = list[0]
		return nil
	})
	posts := rcv.got()
	if len(posts) != 1 || !posts[0].valid {
		t.Fatalf("posts %+v", posts)
	}
	f := posts[0].form
	if f.Get("From") != "+14155552671" || f.Get("To") != "14155550100" || f.Get("Body") != "When does my order ship?" || f.Get("AccountSid") != a.SID ||
		!tw.ValidSID(tw.PrefixMessage, f.Get("MessageSid")) || f.Get("SmsStatus") != "received" || f.Get("FromCountry") != "US" || f.Get("NumMedia") != "0" {
		t.Fatalf("inbound form %v", f)
	}
	if reply.To != "+14155552671" || reply.From != "14155550100" || reply.Body != "Thanks! Your order ships today." || reply.Direction != DirectionOutboundReply ||
		reply.TernStatus != core.StatusQueued {
		t.Fatalf("reply %+v", reply)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	a, _, err := e.store.CreateAccount(ctx, e.tokens, "shop-1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	var sids []string
	for i := range 5 {
		to := fmt.Sprintf("+1415555267%d", i%2)
		m, err := e.store.Send(ctx, e.intake, a, Outgoing{To: to, Body: fmt.Sprintf("message %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		sids = append([]string{m.SID}, sids...) // newest first
	}
	var got []string
	q := ListQuery{Account: a.SID, PageSize: 2}
	for pages := 0; ; pages++ {
		page, more, err := e.store.List(ctx, q)
		if err != nil || pages > 3 {
			t.Fatal(err)
		}
		for _, m := range page {
			got = append(got, m.SID)
		}
		if !more {
			break
		}
		q.After = page[len(page)-1].SID
	}
	if strings.Join(got, ",") != strings.Join(sids, ",") {
		t.Fatalf("pages %v, want %v", got, sids)
	}
	to1, _, err := e.store.List(ctx, ListQuery{Account: a.SID, To: "+14155552671", PageSize: 50})
	if err != nil || len(to1) != 2 {
		t.Fatalf("To filter: %d, %v", len(to1), err)
	}
	later, _, err := e.store.List(ctx, ListQuery{Account: a.SID, SentFrom: time.Now().Add(time.Hour), PageSize: 50})
	if err != nil || len(later) != 0 {
		t.Fatalf("SentFrom filter: %d, %v", len(later), err)
	}
	off, _, err := e.store.List(ctx, ListQuery{Account: a.SID, PageSize: 2, Offset: 4})
	if err != nil || len(off) != 1 || off[0].SID != sids[4] {
		t.Fatalf("Offset: %+v, %v", off, err)
	}
	if _, err := e.store.Message(ctx, tw.NewSID(tw.PrefixAccount), sids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another account's message: %v", err)
	}
}
