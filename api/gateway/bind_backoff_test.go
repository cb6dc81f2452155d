package gateway

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	type step struct {
		at      float64
		failed  bool // else: asks whether blocked
		blocked bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"unknown key", []step{{0, false, false}}},
		{"one failure waits the base", []step{{0, true, false}, {0.5, false, true}, {1, false, false}}},
		{"each failure in a row doubles", []step{{0, true, false}, {1, true, false}, {2.9, false, true}, {3, false, false},
			{3, true, false}, {6.9, false, true}, {7, false, false}}},
		{"capped", []step{{0, true, false}, {1, true, false}, {3, true, false}, {7, true, false}, {15, true, false},
			{24.9, false, true}, {25, false, false}}},
		{"forgotten once the cap passed after the wait", []step{{0, true, false}, {1, true, false}, {3, true, false},
			{18, true, false}, {18.9, false, true}, {19, false, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBackoff(time.Second, 10*time.Second)
			for i, s := range tt.steps {
				if s.failed {
					b.failed("k", at(s.at))
					continue
				}
				if got := b.blocked("k", at(s.at)); got != s.blocked {
					t.Fatalf("step %d at %vs: blocked %v, want %v", i, s.at, got, s.blocked)
				}
			}
		})
	}
	t.Run("a success forgets", func(t *testing.T) {
		t.Parallel()
		b := newBackoff(time.Second, 10*time.Second)
		b.failed("k", t0)
		b.succeeded("k")
		if b.blocked("k", t0) || b.len() != 0 {
			t.Fatal("key still blocked after a success")
		}
	})
	t.Run("bounded", func(t *testing.T) {
		t.Parallel()
		b := newBackoff(time.Second, time.Minute)
		for i := range maxBackoffKeys + 100 {
			b.failed(fmt.Sprint(i), t0)
		}
		if n := b.len(); n > maxBackoffKeys {
			t.Fatalf("%d keys kept, want at most %d", n, maxBackoffKeys)
		}
		// Long after, the stale keys make room for new ones.
		b.failed("new", at(3600))
		if !b.blocked("new", at(3600)) || b.len() != 1 {
			t.Fatalf("%d keys after they expired, want the new one alone", b.len())
		}
	})
}

func TestAddrKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ a, b string }{
		{"192.0.2.1", "::ffff:192.0.2.1"},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"},
	}
	for _, tt := range tests {
		if ka, kb := addrKey(netip.MustParseAddr(tt.a)), addrKey(netip.MustParseAddr(tt.b)); ka != kb {
			t.Errorf("%s and %s back off apart: %s, %s", tt.a, tt.b, ka, kb)
		}
	}
	if addrKey(netip.MustParseAddr("2001:db8:1:2::1")) == addrKey(netip.MustParseAddr("2001:db8:1:3::1")) {
		t.Error("two /64s back off together")
	}
	if addrKey(netip.MustParseAddr("192.0.2.1")) == addrKey(netip.MustParseAddr("192.0.2.2")) {
		t.Error("two IPv4 addresses back off together")
	}
}

// TestBindBackoff: after a failed bind, binds of that system_id from
// anywhere and binds from that address for any account are refused for a
// while, as a wrong password is and without a password check; binds of
// other accounts from other addresses go on.
func TestBindBackoff(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.BindBackoff, cfg.MaxBindBackoff = time.Minute, time.Hour
	srv := e.start(cfg)
	e.account(Account{SystemID: "acme"})
	e.account(Account{SystemID: "other"})
	e.account(Account{SystemID: "third"})
	attacker, elsewhere := "127.0.0.1", "127.0.0.2"
	dialESMEFrom(t, srv.Addr(), attacker).bind(smpp.BindTransceiver, "acme", "guess1", smpp.StatusInvalidPassword)
	hashes := metricValue(t, e.reg, "tern_smpp_password_hashes_total")
	tests := []struct {
		name, from, systemID string
		want                 smpp.CommandStatus
	}{
		{"the system_id from elsewhere", elsewhere, "acme", smpp.StatusInvalidPassword},
		{"another account from the address", attacker, "other", smpp.StatusInvalidPassword},
		{"another account from elsewhere", elsewhere, "third", smpp.StatusOK},
	}
	for _, tt := range tests {
		dialESMEFrom(t, srv.Addr(), tt.from).bind(smpp.BindTransceiver, tt.systemID, "secret", tt.want)
	}
	if n := metricValue(t, e.reg, "tern_smpp_password_hashes_total") - hashes; n != 1 {
		t.Errorf("%v password checks for binds during a backoff and one good bind, want 1", n)
	}
	if n := counterValue(srv.metrics.bindsFailed.WithLabelValues("backoff")); n != 2 {
		t.Errorf("%v binds refused for backoff, want 2", n)
	}
}

// dialESMEFrom connects from the local address from.
func dialESMEFrom(t *testing.T, addr, from string) *esme {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, from, err)
	}
	return newESME(t, nc)
}
