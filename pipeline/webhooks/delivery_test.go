package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"
)

func statusEvent(tenant, msg, status string, n int) Event {
	return Event{ID: EventID(MessageStatus, msg, status), Tenant: tenant, Type: MessageStatus, OrderingKey: msg,
		Data: map[string]any{"message_id": msg, "status": status, "n": n}}
}

// TestRetryThenDeliver: the receiver verifies every signature; it
// answers 500 three times, then the fourth post, with the same event id,
// is delivered. The log has the four attempts.
func TestRetryThenDeliver(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := &clock{}
	o := testOutbox(t, ctx, c, Config{})
	rc := newReceiver(t)
	rc.status = func(n int, _ received) int {
		if n <= 3 {
			return 500
		}
		return 200
	}
	ep, secret, err := o.CreateEndpoint(ctx, "shop-1", rc.srv.URL+"/hooks", []string{MessageStatus}, "orders system")
	if err != nil {
		t.Fatal(err)
	}
	rc.secret = secret
	runOutbox(t, ctx, o)
	if err := o.Emit(ctx, []Event{statusEvent("shop-1", "m1", "delivered", 1), statusEvent("shop-2", "m9", "delivered", 1)}); err != nil {
		t.Fatal(err)
	}
	got := rc.waitPosts(t, 4)
	for i, p := range got {
		if p.ID != got[0].ID || !p.Verified || p.Type != MessageStatus || p.Data["message_id"] != "m1" {
			t.Fatalf("post %d: %+v", i, p)
		}
	}
	var ds []Delivery
	testkit.Eventually(t, 10*time.Second, func() error {
		var err error
		ds, _, err = o.Deliveries(ctx, "shop-1", ep.ID, 10, "")
		if err == nil && (len(ds) != 1 || ds[0].State != "delivered") {
			err = fmt.Errorf("deliveries %+v", ds)
		}
		return err
	})
	var codes []int
	for _, a := range ds[0].Attempts {
		codes = append(codes, a.Status)
		if a.Latency <= 0 || a.At.IsZero() {
			t.Fatalf("attempt %+v", a)
		}
	}
	if fmt.Sprint(codes) != "[500 500 500 200]" || ds[0].EventID != got[0].ID || ds[0].Attempts[0].Error != "HTTP 500" {
		t.Fatalf("log %+v", ds[0])
	}
	// Replay: the same event, the same id, delivered again.
	if n, err := o.Replay(ctx, "shop-1", ep.ID, []string{got[0].ID}, time.Time{}, time.Time{}); err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v", n, err)
	}
	again := rc.waitPosts(t, 5)
	if again[4].ID != got[0].ID || !again[4].Verified || string(again[4].Body) != string(got[0].Body) {
		t.Fatalf("replayed post %+v", again[4])
	}
	if _, err := o.Replay(ctx, "shop-2", ep.ID, []string{got[0].ID}, time.Time{}, time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("replay of another tenant's endpoint: %v", err)
	}
}

// TestOrderPerMessage: one message's events arrive in the order they
// were emitted, even when the first must be retried; other messages'
// events do not wait for it.
func TestOrderPerMessage(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := &clock{}
	o := testOutbox(t, ctx, c, Config{Workers: 8})
	rc := newReceiver(t)
	var failed atomic.Int32
	rc.status = func(_ int, r received) int {
		if r.Data["message_id"] == "m1" && r.Data["status"] == "submitted" && failed.Add(1) <= 2 {
			return 503
		}
		return 200
	}
	if _, _, err := o.CreateEndpoint(ctx, "shop-1", rc.srv.URL, []string{"*"}, ""); err != nil {
		t.Fatal(err)
	}
	var evs []Event
	for i, s := range []string{"submitted", "delivered"} {
		for m := 1; m <= 20; m++ {
			evs = append(evs, statusEvent("shop-1", fmt.Sprintf("m%d", m), s, i))
		}
	}
	if err := o.Emit(ctx, evs); err != nil {
		t.Fatal(err)
	}
	runOutbox(t, ctx, o)
	got := rc.waitPosts(t, 42)
	seen := map[string][]string{}
	for _, p := range got {
		if p.Data["status"] == "submitted" && failed.Load() <= 2 && p.Data["message_id"] == "m1" {
			continue
		}
		m := p.Data["message_id"].(string)
		seen[m] = append(seen[m], p.Data["status"].(string))
	}
	for m, s := range seen {
		if strings.Join(s, ",") != "submitted,delivered" && strings.Join(s, ",") != "submitted,submitted,submitted,delivered" {
			t.Errorf("%s: %v", m, s)
		}
	}
	if strings.Join(seen["m1"], ",") != "submitted,submitted,submitted,delivered" {
		t.Fatalf("m1: %v", seen["m1"])
	}
}

// TestEndpointDisabled: an endpoint failing for 72 hours is disabled,
// its undelivered event is given up, and the tenant's other endpoint
// hears of it.
func TestEndpointDisabled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := &clock{}
	o := testOutbox(t, ctx, c, Config{})
	down, watcher := newReceiver(t), newReceiver(t)
	down.status = func(int, received) int { return 500 }
	bad, _, err := o.CreateEndpoint(ctx, "shop-1", down.srv.URL, []string{MessageStatus}, "")
	if err != nil {
		t.Fatal(err)
	}
	_, watcherSecret, err := o.CreateEndpoint(ctx, "shop-1", watcher.srv.URL, []string{EndpointDisabled}, "")
	if err != nil {
		t.Fatal(err)
	}
	watcher.secret, watcher.now = watcherSecret, c.now
	if err := o.Emit(ctx, []Event{statusEvent("shop-1", "m1", "failed", 1)}); err != nil {
		t.Fatal(err)
	}
	if n, err := o.DeliverDue(ctx, bad.ID); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	eps, _ := o.Endpoints(ctx, "shop-1")
	if eps[0].FailingSince.IsZero() || !eps[0].Enabled {
		t.Fatalf("after a failure: %+v", eps[0])
	}
	c.forward(73 * time.Hour)
	if _, err := o.DeliverDue(ctx, bad.ID); err != nil {
		t.Fatal(err)
	}
	eps, _ = o.Endpoints(ctx, "shop-1")
	if eps[0].Enabled || !strings.HasPrefix(eps[0].DisabledReason, "failing since ") {
		t.Fatalf("after 72 hours: %+v", eps[0])
	}
	ds, _, _ := o.Deliveries(ctx, "shop-1", bad.ID, 10, "")
	if len(ds) != 1 || ds[0].State != "failed" || !strings.HasPrefix(ds[0].Attempts[len(ds[0].Attempts)-1].Error, "given up") {
		t.Fatalf("the undelivered event: %+v", ds)
	}
	runOutbox(t, ctx, o)
	got := watcher.waitPosts(t, 1)
	if got[0].Type != EndpointDisabled || got[0].Data["endpoint_id"] != bad.ID || !got[0].Verified {
		t.Fatalf("disabled event: %+v", got[0])
	}
	// Enabling it again clears the failure.
	on := true
	if e, err := o.UpdateEndpoint(ctx, "shop-1", bad.ID, Update{Enabled: &on}); err != nil || !e.Enabled || !e.FailingSince.IsZero() || e.DisabledReason != "" {
		t.Fatalf("re-enabled: %+v, %v", e, err)
	}
}

// TestSSRFRefused: a metadata URL is refused at registration; a name
// that resolves to 10.0.0.1 is refused when dialled, logged in the
// delivery log, and never dialled.
func TestSSRFRefused(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var dialled atomic.Int32
	c := &clock{}
	o := testOutbox(t, ctx, c, Config{Client: ClientConfig{
		Resolver: testResolver{"hooks.shop.example": {netip.MustParseAddr("10.0.0.1")}},
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialled.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}})
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://10.1.1.1/hook", "gopher://example.com/"} {
		var fe *FieldError
		if _, _, err := o.CreateEndpoint(ctx, "shop-1", u, []string{"*"}, ""); !errors.As(err, &fe) || fe.Field != "url" {
			t.Errorf("CreateEndpoint(%s) = %v, want a url FieldError", u, err)
		}
	}
	ep, _, err := o.CreateEndpoint(ctx, "shop-1", "http://hooks.shop.example/tern", []string{"*"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Emit(ctx, []Event{statusEvent("shop-1", "m1", "delivered", 1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.DeliverDue(ctx, ep.ID); err != nil {
		t.Fatal(err)
	}
	ds, _, _ := o.Deliveries(ctx, "shop-1", ep.ID, 10, "")
	if len(ds) != 1 || len(ds[0].Attempts) != 1 || !strings.Contains(ds[0].Attempts[0].Error, "10.0.0.1") ||
		!strings.Contains(ds[0].Attempts[0].Error, "private address refused") || ds[0].State != "pending" {
		t.Fatalf("log: %+v", ds)
	}
	if n := dialled.Load(); n != 0 {
		t.Fatalf("dialled %d times", n)
	}
}

// TestRotation: during a rotation both secrets verify each post.
func TestRotation(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := &clock{}
	o := testOutbox(t, ctx, c, Config{})
	rc := newReceiver(t)
	ep, old, err := o.CreateEndpoint(ctx, "shop-1", rc.srv.URL, []string{MessageStatus}, "")
	if err != nil {
		t.Fatal(err)
	}
	ep, fresh, err := o.RotateSecret(ctx, "shop-1", ep.ID, time.Hour)
	if err != nil || fresh == old || ep.PreviousExpires.IsZero() {
		t.Fatalf("RotateSecret = %+v, %v", ep, err)
	}
	if _, _, err := o.RotateSecret(ctx, "shop-1", ep.ID, 8*24*time.Hour); !errors.Is(err, ErrInvalid) {
		t.Fatalf("eight days: %v", err)
	}
	o.Emit(ctx, []Event{statusEvent("shop-1", "m1", "submitted", 1)})
	o.DeliverDue(ctx, ep.ID)
	p := rc.waitPosts(t, 1)[0]
	for _, s := range []string{old, fresh} {
		if err := Verify(p.Sig, p.Body, s, time.Minute, time.Now()); err != nil {
			t.Errorf("during the rotation, %v", err)
		}
	}
	c.forward(2 * time.Hour)
	o.Emit(ctx, []Event{statusEvent("shop-1", "m2", "submitted", 1)})
	o.DeliverDue(ctx, ep.ID)
	p = rc.waitPosts(t, 2)[1]
	if Verify(p.Sig, p.Body, old, 0, time.Now()) == nil || Verify(p.Sig, p.Body, fresh, 0, time.Now()) != nil {
		t.Fatalf("after the rotation: %s", p.Sig)
	}
}

// TestAdhocPost: another feature's signed POST to a URL of its own.
func TestAdhocPost(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := &clock{}
	var got atomic.Value
	o := testOutbox(t, ctx, c, Config{})
	o.signers["test"] = signerFunc(func(h http.Header, url string, body []byte, _ time.Time) error {
		h.Set("X-Test-Signature", fmt.Sprintf("%s|%d", url, len(body)))
		return nil
	})
	rc := newReceiver(t)
	rc.status = func(n int, r received) int { got.Store(r); return 200 }
	if err := o.Enqueue(ctx, []Post{{Tenant: "shop-1", URL: rc.srv.URL + "/status", Body: []byte("MessageStatus=delivered"),
		ContentType: "application/x-www-form-urlencoded", Signer: "test", EventID: "cb-1", EventType: "status_callback"}}); err != nil {
		t.Fatal(err)
	}
	if err := o.Enqueue(ctx, []Post{{Tenant: "shop-1", URL: "http://169.254.169.254/", EventID: "cb-2"}}); !errors.Is(err, ErrRefused) {
		t.Fatalf("ad-hoc post to the metadata address: %v", err)
	}
	if n, err := o.DeliverDue(ctx, ""); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	if p := rc.waitPosts(t, 1)[0]; string(p.Body) != "MessageStatus=delivered" || p.ID != "cb-1" {
		t.Fatalf("post %+v", p)
	}
}

type signerFunc func(http.Header, string, []byte, time.Time) error

func (f signerFunc) Sign(h http.Header, url string, body []byte, now time.Time) error {
	return f(h, url, body, now)
}
