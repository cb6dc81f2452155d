package webhooks

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRefusal(t *testing.T) {
	t.Parallel()
	local := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	tests := []struct {
		addr  string
		allow []netip.Prefix
		want  string // "" allowed
	}{
		{"8.8.8.8", nil, ""},
		{"2606:4700:4700::1111", nil, ""},
		{"10.0.0.1", nil, "private"},
		{"172.20.1.1", nil, "private"},
		{"192.168.1.10", nil, "private"},
		{"127.0.0.1", nil, "loopback"},
		{"127.0.0.1", local, ""},
		{"127.0.0.2", local, "loopback"},
		{"169.254.169.254", nil, "cloud metadata"},
		{"169.254.10.1", nil, "link-local"},
		{"100.64.0.1", nil, "carrier-grade NAT"},
		{"100.100.100.200", nil, "carrier-grade NAT"},
		{"0.0.0.0", nil, "unspecified"},
		{"224.0.0.251", nil, "multicast"},
		{"255.255.255.255", nil, "reserved"},
		{"::1", nil, "loopback"},
		{"::", nil, "unspecified"},
		{"fd00:ec2::254", nil, "cloud metadata"},
		{"fd12:3456::1", nil, "unique local"},
		{"fe80::1", nil, "link-local"},
		{"::ffff:10.0.0.1", nil, "private"},
		{"64:ff9b::a00:1", nil, "private (embedded in 64:ff9b::a00:1)"},
		{"64:ff9b::808:808", nil, ""},
		{"2002:a9fe:a9fe::1", nil, "cloud metadata (embedded in 2002:a9fe:a9fe::1)"},
		{"2001:db8::1", nil, "documentation"},
	}
	for _, tt := range tests {
		if got := refusal(netip.MustParseAddr(tt.addr), tt.allow); got != tt.want {
			t.Errorf("refusal(%s, %v) = %q, want %q", tt.addr, tt.allow, got, tt.want)
		}
	}
}

// testResolver answers names from a map.
type testResolver map[string][]netip.Addr

func (r testResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestClientRefusesWithoutDialling: a name resolving to 10.0.0.1, the
// metadata address and loopback are refused and logged, and nothing is
// dialled.
func TestClientRefusesWithoutDialling(t *testing.T) {
	t.Parallel()
	var dialled atomic.Int32
	var logs bytes.Buffer
	c := NewClient(ClientConfig{
		Resolver: testResolver{"hooks.internal.example": {netip.MustParseAddr("10.0.0.1")},
			"mixed.example": {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("192.168.0.5")}},
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialled.Add(1)
			return nil, errors.New("dialled")
		},
		Log: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	for _, u := range []string{"http://hooks.internal.example/hook", "http://169.254.169.254/latest/meta-data/", "https://mixed.example/",
		"http://[fd00:ec2::254]/", "http://127.0.0.1:8080/", "http://localhost/"} {
		_, err := c.Post(context.Background(), u, []byte("{}"), nil)
		if !errors.Is(err, ErrRefused) {
			t.Errorf("Post(%s) = %v, want a refusal", u, err)
		}
	}
	if n := dialled.Load(); n != 0 {
		t.Fatalf("dialled %d times", n)
	}
	if !strings.Contains(logs.String(), "webhook address refused; not dialled") || !strings.Contains(logs.String(), "addr=10.0.0.1") {
		t.Fatalf("refusals not logged:\n%s", logs.String())
	}
	if err := c.control("tcp4", "10.1.2.3:443", nil); !errors.Is(err, ErrRefused) {
		t.Fatalf("dialer control of 10.1.2.3: %v", err)
	}
}

func TestClientLimits(t *testing.T) {
	t.Parallel()
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/target", http.StatusFound) })
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) { followed.Add(1) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("x"), 1<<20)) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := NewClient(ClientConfig{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Timeout: 200e6})
	ctx := context.Background()
	if r, err := c.Post(ctx, srv.URL+"/redirect", nil, nil); err != nil || r.Status != http.StatusFound || followed.Load() != 0 {
		t.Fatalf("redirect: %+v, %v, followed %d", r, err, followed.Load())
	}
	if r, err := c.Post(ctx, srv.URL+"/big", nil, nil); err != nil || len(r.Body) != MaxReply {
		t.Fatalf("big reply: read %d bytes, %v", len(r.Body), err)
	}
	if _, err := c.Post(ctx, srv.URL+"/slow", nil, nil); err == nil {
		t.Fatal("a reply that never comes did not time out")
	}
	for _, u := range []string{"ftp://example.com/", "http://user:pw@example.com/", "/relative", "http:///nohost"} {
		var fe *FieldError
		if _, err := c.Post(ctx, u, nil, nil); !errors.As(err, &fe) || fe.Field != "url" {
			t.Errorf("Post(%s) = %v, want a url FieldError", u, err)
		}
	}
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_1"}`)
	now := netipTime()
	h := Sign(now, body, "whsec_new", "whsec_old")
	if !strings.HasPrefix(h, "t=1772800000,v1=") || strings.Count(h, "v1=") != 2 {
		t.Fatalf("header %q", h)
	}
	for _, s := range []string{"whsec_new", "whsec_old"} {
		if err := Verify(h, body, s, 5*60e9, now); err != nil {
			t.Errorf("verify with %s: %v", s, err)
		}
	}
	for _, bad := range []struct {
		name   string
		header string
		body   []byte
		secret string
		at     int64
	}{
		{"other secret", h, body, "whsec_x", 0},
		{"body changed", h, []byte(`{"id":"evt_2"}`), "whsec_new", 0},
		{"too old", h, body, "whsec_new", 600},
		{"no signature", "t=1772800000", body, "whsec_new", 0},
		{"garbage", "nonsense", body, "whsec_new", 0},
	} {
		if err := Verify(bad.header, bad.body, bad.secret, 5*60e9, now.Add(secs(bad.at))); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v", bad.name, err)
		}
	}
}

func netipTime() time.Time       { return time.Unix(1772800000, 0) }
func secs(n int64) time.Duration { return time.Duration(n) * time.Second }
