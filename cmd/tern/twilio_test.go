package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	verifyv2 "github.com/twilio/twilio-go/rest/verify/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
	verifysvc "github.com/ternsms/tern/pipeline/verify"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// toTern sends the SDK's requests for api.twilio.com and
// verify.twilio.com to tern; the SDK itself is used as shipped.
type toTern struct{ addr string }

func (t toTern) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.URL.Host {
	case "api.twilio.com", "verify.twilio.com":
		req = req.Clone(req.Context())
		req.URL.Scheme, req.URL.Host, req.Host = "http", t.addr, t.addr
	}
	return http.DefaultTransport.RoundTrip(req)
}

// devTwilioClient is the official SDK with the credentials tern serve
// --dev wrote to DATA/dev-twilio-account.
func devTwilioClient(t *testing.T, r *running, dataDir string) *twilio.RestClient {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "dev-twilio-account"))
	sid, token, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	if err != nil || !ok || !strings.HasPrefix(sid, "AC") || sid+":"+token != r.devTwilio {
		t.Fatalf("dev-twilio-account %q, %v; printed %q", b, err, r.devTwilio)
	}
	c := &client.Client{Credentials: client.NewCredentials(sid, token),
		HTTPClient: &http.Client{Transport: toTern{r.apiAddr}, Timeout: 30 * time.Second}}
	c.SetAccountSid(sid)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
}

// TestTwilioSurface drives tern serve --dev with the official Twilio SDK,
// with the dev credentials: a message is created and fetched until the
// simulator delivered it, its signed status callbacks verified, listed a page at a time, and a scheduled one is
// canceled and never reaches the simulator; a verification's wrong code
// leaves it pending and the code the simulator received approves it.
// VerifyService over Connect answers for the same verifications.
func TestTwilioSurface(t *testing.T) {
	t.Parallel()
	dataDir := ""
	r := startConfigured(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1, DeliveredRatio: 1, ReceiptDelay: 10 * time.Millisecond},
		func(c *serveConfig) { dataDir = c.dataDir })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := devTwilioClient(t, r, dataDir)
	_, token, _ := strings.Cut(r.devTwilio, ":")
	cb := newStatusReceiver(t, token)

	p := &openapi.CreateMessageParams{}
	m, err := c.Api.CreateMessage(p.SetTo("+14155552671").SetBody("Your order #4582 has shipped").SetStatusCallback(cb.srv.URL + "/status"))
	if err != nil || *m.Status != "queued" || *m.From != r.devSender {
		t.Fatalf("created status %v from %v (dev sender %s), %v", deref(m.Status), deref(m.From), r.devSender, err)
	}
	testkit.Eventually(t, 2*time.Minute, func() error {
		got, err := c.Api.FetchMessage(*m.Sid, nil)
		if err != nil || *got.Status != "delivered" {
			return fmt.Errorf("fetched %+v, %v", got, err)
		}
		return nil
	})
	if n := r.sim.Submits("+14155552671", "Your order #4582 has shipped"); n != 1 {
		t.Fatalf("the simulator got the message %d times", n)
	}
	testkit.Eventually(t, time.Minute, func() error {
		if got, bad := cb.statuses(); !slices.Contains(got, "delivered") || bad != 0 {
			return fmt.Errorf("status callbacks %v, %d badly signed", got, bad)
		}
		return nil
	})
	for i := range 2 {
		q := &openapi.CreateMessageParams{}
		if _, err := c.Api.CreateMessage(q.SetTo("+14155552672").SetBody(fmt.Sprintf("update %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	lp := &openapi.ListMessageParams{}
	lp.SetPageSize(2)
	first, err := c.Api.PageMessage(lp, "", "")
	if err != nil || len(first.Messages) != 2 || first.NextPageUri == nil {
		t.Fatalf("first page %+v, %v", first, err)
	}
	if all, err := c.Api.ListMessage(lp); err != nil || len(all) != 3 || *all[2].Sid != *m.Sid {
		t.Fatalf("ListMessage = %d messages, %v", len(all), err)
	}

	s := &openapi.CreateMessageParams{}
	sm, err := c.Api.CreateMessage(s.SetTo("+14155552673").SetBody("Sale starts tomorrow").SetSendAt(time.Now().Add(time.Hour)).SetScheduleType("fixed"))
	if err != nil || *sm.Status != "scheduled" {
		t.Fatalf("scheduled %+v, %v", sm, err)
	}
	up := &openapi.UpdateMessageParams{}
	if cm, err := c.Api.UpdateMessage(*sm.Sid, up.SetStatus("canceled")); err != nil || *cm.Status != "canceled" {
		t.Fatalf("canceled %+v, %v", cm, err)
	}

	checkVerification(t, ctx, r, dataDir, c)
	if n := r.sim.Submits("+14155552673", "Sale starts tomorrow"); n != 0 {
		t.Fatalf("the canceled message reached the simulator %d times", n)
	}
}

// checkVerification starts a verification through Verify v2, checks a
// wrong code and then the one the simulator received, and reads the
// verification back through VerifyService.
func checkVerification(t *testing.T, ctx context.Context, r *running, dataDir string, c *twilio.RestClient) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "dev-twilio-verify-service"))
	svc := strings.TrimSpace(string(b))
	if err != nil || !strings.HasPrefix(svc, "VA") || svc != r.devVerifyService {
		t.Fatalf("dev-twilio-verify-service %q, %v", b, err)
	}
	const to = "+14155552674"
	vp := &verifyv2.CreateVerificationParams{}
	v, err := c.VerifyV2.CreateVerification(svc, vp.SetTo(to).SetChannel("sms"))
	if err != nil || *v.Status != "pending" {
		t.Fatalf("started %+v, %v", v, err)
	}
	body := otpBody(t, ctx, r.brokers, *v.Sid)
	testkit.Eventually(t, 2*time.Minute, func() error {
		if n := r.sim.Submits(to, body); n != 1 {
			return fmt.Errorf("the simulator got the code %d times", n)
		}
		return nil
	})
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(body)
	wrong := code[:5] + string('0'+(code[5]-'0'+1)%10)
	cp := &verifyv2.CreateVerificationCheckParams{}
	if got, err := c.VerifyV2.CreateVerificationCheck(svc, cp.SetVerificationSid(*v.Sid).SetCode(wrong)); err != nil || *got.Status != "pending" {
		t.Fatalf("wrong code: %+v, %v", got, err)
	}
	cp = &verifyv2.CreateVerificationCheckParams{}
	if got, err := c.VerifyV2.CreateVerificationCheck(svc, cp.SetTo(to).SetCode(code)); err != nil || *got.Status != "approved" {
		t.Fatalf("right code: %+v, %v", got, err)
	}
	vs := ternv1connect.NewVerifyServiceClient(h2c(), "http://"+r.apiAddr, bearer(r.devKey))
	got, err := vs.GetVerification(ctx, connect.NewRequest(&ternv1.GetVerificationRequest{Id: *v.Sid}))
	if err != nil || got.Msg.GetVerification().GetStatus() != ternv1.VerificationStatus_VERIFICATION_STATUS_APPROVED ||
		got.Msg.GetVerification().GetTo() != to {
		t.Fatalf("VerifyService GetVerification = %v, %v", got, err)
	}
}

// otpBody returns the text of the code message of verification id, as
// the intake put it on the OTP lane.
func otpBody(t *testing.T, ctx context.Context, brokers []string, id string) string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("tern.submit.otp"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for ctx.Err() == nil {
		var body string
		cl.PollFetches(ctx).EachRecord(func(rec *kgo.Record) {
			s := &recordv1.Submit{}
			if proto.Unmarshal(rec.Value, s) == nil && s.Origin == verifysvc.OriginPrefix+id {
				body = s.Body
			}
		})
		if body != "" {
			return body
		}
	}
	t.Fatalf("no code message for %s: %v", id, ctx.Err())
	return ""
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// statusReceiver takes status callbacks, checking X-Twilio-Signature as
// Twilio documents it: base64 of HMAC-SHA1, keyed with the auth token,
// over the full URL followed by each POST parameter's name and value,
// names sorted.
type statusReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []string
	bad int
}

func newStatusReceiver(t *testing.T, token string) *statusReceiver {
	r := &statusReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		form, _ := url.ParseQuery(string(body))
		data := "http://" + req.Host + req.URL.RequestURI()
		for _, k := range slices.Sorted(maps.Keys(form)) {
			data += k + form.Get(k)
		}
		mac := hmac.New(sha1.New, []byte(token))
		mac.Write([]byte(data))
		want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
		r.mu.Lock()
		defer r.mu.Unlock()
		if !hmac.Equal([]byte(req.Header.Get("X-Twilio-Signature")), []byte(want)) {
			r.bad++
			w.WriteHeader(http.StatusForbidden)
			return
		}
		r.got = append(r.got, form.Get("MessageStatus"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *statusReceiver) statuses() ([]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got), r.bad
}
