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

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	verifyv2 "github.com/twilio/twilio-go/rest/verify/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	tw "github.com/ternsms/tern/core/twilio"
	twstore "github.com/ternsms/tern/pipeline/twilio"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// restError returns err's Twilio error code and HTTP status as the SDK
// read them.
func restError(err error) (int, int) {
	var re *client.TwilioRestError
	if errors.As(err, &re) {
		return re.Code, re.Status
	}
	return 0, 0
}

// TestSDKMessages drives the Messages resource with the official SDK:
// create, fetch, list with paging, cancel a scheduled message, errors,
// and a message's events turning into its status and signed callbacks.
func TestSDKMessages(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	c := e.sdk(t, e.account.SID, e.token)
	rcv := newReceiver(t, e.token)

	p := &openapi.CreateMessageParams{}
	p.SetTo("+14155552671").SetFrom("+14155550100").SetBody("Your order #4582 has shipped").SetStatusCallback(rcv.srv.URL + "/status").SetValidityPeriod(3600)
	m, err := c.Api.CreateMessage(p)
	if err != nil {
		t.Fatal(err)
	}
	if !tw.ValidSID(tw.PrefixMessage, *m.Sid) || *m.Status != "queued" || *m.NumSegments != "1" || *m.ApiVersion != "2010-04-01" ||
		*m.AccountSid != e.account.SID || *m.Direction != "outbound-api" || *m.Uri != "/2010-04-01/Accounts/"+e.account.SID+"/Messages/"+*m.Sid+".json" {
		t.Fatalf("created %s", show(m))
	}
	if _, err := time.Parse(time.RFC1123Z, *m.DateCreated); err != nil || m.DateSent != nil || m.ErrorCode != nil {
		t.Fatalf("created %s: %v", show(m), err)
	}
	got, err := c.Api.FetchMessage(*m.Sid, nil)
	if err != nil || *got.Sid != *m.Sid || *got.Body != "Your order #4582 has shipped" || *got.To != "+14155552671" || *got.From != "+14155550100" {
		t.Fatalf("fetched %s, %v", show(got), err)
	}

	// Four more, then the list two a page, newest first, through
	// next_page_uri.
	for i := range 4 {
		q := &openapi.CreateMessageParams{}
		q.SetTo(fmt.Sprintf("+1415555267%d", i%2+2)).SetBody(fmt.Sprintf("update %d", i))
		if _, err := c.Api.CreateMessage(q); err != nil {
			t.Fatal(err)
		}
	}
	lp := &openapi.ListMessageParams{}
	lp.SetPageSize(2)
	first, err := c.Api.PageMessage(lp, "", "")
	if err != nil || len(first.Messages) != 2 || first.NextPageUri == nil || first.PageSize != 2 || !strings.Contains(*first.NextPageUri, "PageToken=PASM") {
		t.Fatalf("first page %+v, %v", first, err)
	}
	all, err := c.Api.ListMessage(lp)
	if err != nil || len(all) != 5 || *all[4].Sid != *m.Sid || *all[0].Body != "update 3" {
		t.Fatalf("ListMessage = %d messages, %v", len(all), err)
	}
	lp.SetTo("+14155552672").SetDateSent(time.Now())
	if f, err := c.Api.ListMessage(lp); err != nil || len(f) != 2 {
		t.Fatalf("filtered by To and DateSent: %d, %v", len(f), err)
	}

	// A scheduled message, canceled.
	s := &openapi.CreateMessageParams{}
	s.SetTo("+14155552671").SetBody("Sale starts tomorrow").SetSendAt(time.Now().Add(time.Hour)).SetScheduleType("fixed")
	sm, err := c.Api.CreateMessage(s)
	if err != nil || *sm.Status != "scheduled" {
		t.Fatalf("scheduled %s, %v", show(sm), err)
	}
	up := &openapi.UpdateMessageParams{}
	up.SetStatus("canceled")
	cm, err := c.Api.UpdateMessage(*sm.Sid, up)
	if err != nil || *cm.Status != "canceled" {
		t.Fatalf("canceled %s, %v", show(cm), err)
	}
	if again, err := c.Api.FetchMessage(*sm.Sid, nil); err != nil || *again.Status != "canceled" {
		t.Fatalf("fetched after the cancel %s, %v", show(again), err)
	}

	// Errors: Twilio's codes and statuses, through the SDK's own error.
	bad := []struct {
		name   string
		call   func() error
		code   int
		status int
	}{
		{"invalid To", func() error {
			q := &openapi.CreateMessageParams{}
			_, err := c.Api.CreateMessage(q.SetTo("+1999").SetBody("x"))
			return err
		}, 21211, 400},
		{"no Body", func() error {
			q := &openapi.CreateMessageParams{}
			_, err := c.Api.CreateMessage(q.SetTo("+14155552671"))
			return err
		}, 21602, 400},
		{"MMS", func() error {
			q := &openapi.CreateMessageParams{}
			_, err := c.Api.CreateMessage(q.SetTo("+14155552671").SetBody("x").SetMediaUrl([]string{"https://example.com/a.png"}))
			return err
		}, 21620, 400},
		{"validity", func() error {
			q := &openapi.CreateMessageParams{}
			_, err := c.Api.CreateMessage(q.SetTo("+14155552671").SetBody("x").SetValidityPeriod(40000))
			return err
		}, 21624, 400},
		{"unknown message", func() error { _, err := c.Api.FetchMessage(tw.NewSID(tw.PrefixMessage), nil); return err }, 20404, 404},
		{"delete", func() error { return c.Api.DeleteMessage(*m.Sid, nil) }, 20004, 405},
		{"wrong token", func() error {
			_, err := e.sdk(t, e.account.SID, strings.Repeat("0", 32)).Api.FetchMessage(*m.Sid, nil)
			return err
		}, 20003, 401},
	}
	for _, b := range bad {
		if code, status := restError(b.call()); code != b.code || status != b.status {
			t.Errorf("%s: code %d, status %d; want %d, %d", b.name, code, status, b.code, b.status)
		}
	}

	// The pipeline's events: the status follows, and each change is
	// posted to the StatusCallback, signed.
	f, err := twstore.NewFollower(twstore.FollowerConfig{Brokers: e.kafka.Brokers, Events: e.kafka.Topics.Events}, e.store, twstore.Outbox{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, f.Run)
	run(t, ctx, twstore.NewDispatcher(e.store, e.tokens).Run)
	msg, _ := e.store.Message(ctx, e.account.SID, *m.Sid)
	now := time.Now()
	produceEvents(t, ctx, e.kafka.Brokers, e.kafka.Topics.Events,
		&recordv1.Event{MessageId: msg.MessageID, Status: ternv1.Status_STATUS_SUBMITTED, Time: timestamppb.New(now), Carrier: "sim", Origin: twstore.OriginPrefix + e.account.SID},
		&recordv1.Event{MessageId: msg.MessageID, Status: ternv1.Status_STATUS_DELIVERED, Time: timestamppb.New(now.Add(time.Second)), Carrier: "sim", Origin: twstore.OriginPrefix + e.account.SID})
	testkit.Eventually(t, 30*time.Second, func() error {
		d, err := c.Api.FetchMessage(*m.Sid, nil)
		if err != nil || *d.Status != "delivered" || d.DateSent == nil {
			return fmt.Errorf("fetched %s, %v", show(d), err)
		}
		if st, bad := rcv.statuses(); !slices.Equal(slices.Sorted(slices.Values(st)), []string{"delivered", "sent"}) || bad != 0 {
			return fmt.Errorf("callbacks %v, %d badly signed", st, bad)
		}
		return nil
	})
}

func produceEvents(t *testing.T, ctx context.Context, brokers []string, topic string, evs ...*recordv1.Event) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, ev := range evs {
		v, _ := proto.Marshal(ev)
		if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte(ev.MessageId), Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

func show(m *openapi.ApiV2010Message) string {
	if m == nil {
		return "<nil>"
	}
	s := func(p *string) string {
		if p == nil {
			return "null"
		}
		return *p
	}
	return fmt.Sprintf("{sid %s status %s to %s from %s body %q segments %s created %s sent %s}",
		s(m.Sid), s(m.Status), s(m.To), s(m.From), s(m.Body), s(m.NumSegments), s(m.DateCreated), s(m.DateSent))
}

// TestSDKVerify drives Verify v2 with the official SDK: start, a wrong
// code then the right one (read from what was sent), and the limits and
// refusals with Verify's codes.
func TestSDKVerify(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	c := e.sdk(t, e.account.SID, e.token)
	svc := e.account.VerifyServiceSID
	start := func(to string) (*verifyv2.VerifyV2Verification, error) {
		p := &verifyv2.CreateVerificationParams{}
		return c.VerifyV2.CreateVerification(svc, p.SetTo(to).SetChannel("sms"))
	}
	check := func(id, code string) (*verifyv2.VerifyV2VerificationCheck, error) {
		p := &verifyv2.CreateVerificationCheckParams{}
		return c.VerifyV2.CreateVerificationCheck(svc, p.SetVerificationSid(id).SetCode(code))
	}
	v, err := start("+14155552671")
	if err != nil || *v.Status != "pending" || !tw.ValidSID(tw.PrefixVerification, *v.Sid) || *v.ServiceSid != svc || *v.Channel != "sms" || v.DateCreated == nil {
		t.Fatalf("started %+v, %v", v, err)
	}
	code := e.code(t, ctx, *v.Sid)
	wrong := code[:5] + string('0'+(code[5]-'0'+1)%10)
	if r, err := check(*v.Sid, wrong); err != nil || *r.Status != "pending" || *r.Valid {
		t.Fatalf("wrong code: %+v, %v", r, err)
	}
	p := &verifyv2.CreateVerificationCheckParams{}
	r, err := c.VerifyV2.CreateVerificationCheck(svc, p.SetTo("+14155552671").SetCode(code))
	if err != nil || *r.Status != "approved" || !*r.Valid || *r.Sid != *v.Sid {
		t.Fatalf("right code: %+v, %v", r, err)
	}
	if _, err := check(*v.Sid, code); !isCode(err, 20404, 404) {
		t.Fatalf("approved twice: %v", err)
	}

	// The 6th check is refused.
	v2, err := start("+14155552672")
	if err != nil {
		t.Fatal(err)
	}
	code2 := e.code(t, ctx, *v2.Sid)
	wrong2 := code2[:5] + string('0'+(code2[5]-'0'+1)%10)
	for range 5 {
		if r, err := check(*v2.Sid, wrong2); err != nil || *r.Status != "pending" {
			t.Fatalf("wrong check: %+v, %v", r, err)
		}
	}
	if _, err := check(*v2.Sid, code2); !isCode(err, 60202, 429) {
		t.Fatalf("6th check: %v", err)
	}

	// The 6th send in 10 minutes is refused; so is one within 30 s.
	if _, err := start("+14155552673"); err != nil {
		t.Fatal(err)
	}
	if _, err := start("+14155552673"); !isCode(err, 60203, 429) {
		t.Fatalf("send within the cooldown: %v", err)
	}
	for range 4 {
		e.clock.advance(31 * time.Second)
		if _, err := start("+14155552673"); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.advance(31 * time.Second)
	if _, err := start("+14155552673"); !isCode(err, 60203, 429) {
		t.Fatalf("6th send: %v", err)
	}

	// An expired code is refused.
	v3, err := start("+14155552674")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.advance(10*time.Minute + time.Second)
	if _, err := check(*v3.Sid, e.code(t, ctx, *v3.Sid)); !isCode(err, 20404, 404) {
		t.Fatalf("expired: %v", err)
	}

	// Refusals: a country the tenant has not enabled, another service,
	// a channel tern does not send on, cancel.
	if _, err := start("+447400123456"); !isCode(err, 60605, 403) {
		t.Fatalf("country: %v", err)
	}
	other := &verifyv2.CreateVerificationParams{}
	if _, err := c.VerifyV2.CreateVerification(tw.NewSID(tw.PrefixVerifyService), other.SetTo("+14155552675").SetChannel("sms")); !isCode(err, 20404, 404) {
		t.Fatalf("another service: %v", err)
	}
	call := &verifyv2.CreateVerificationParams{}
	if _, err := c.VerifyV2.CreateVerification(svc, call.SetTo("+14155552675").SetChannel("call")); !isCode(err, 60200, 400) {
		t.Fatalf("channel call: %v", err)
	}
	v4, err := start("+14155552676")
	if err != nil {
		t.Fatal(err)
	}
	up := &verifyv2.UpdateVerificationParams{}
	if cv, err := c.VerifyV2.UpdateVerification(svc, *v4.Sid, up.SetStatus("canceled")); err != nil || *cv.Status != "canceled" {
		t.Fatalf("cancel: %+v, %v", cv, err)
	}
	if fv, err := c.VerifyV2.FetchVerification(svc, *v4.Sid); err != nil || *fv.Status != "canceled" {
		t.Fatalf("fetch: %+v, %v", fv, err)
	}
}

func isCode(err error, code, status int) bool {
	c, s := restError(err)
	return c == code && s == status
}
