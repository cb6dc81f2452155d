package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core/testkit"
)

// TestBindRefusalsLookAlike: an unknown system_id, a disabled account and
// an address outside the allow-list get the answer a wrong password gets,
// byte for byte, after a password check of the same cost.
func TestBindRefusalsLookAlike(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme"})
	e.account(Account{SystemID: "off", Disabled: true})
	e.account(Account{SystemID: "far", AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	tests := []struct {
		name, systemID, password, log string
	}{
		{"wrong password", "acme", "wrong1", "reason=password"},
		{"unknown system_id", "nobody", "secret", `reason="unknown system_id"`},
		{"disabled", "off", "secret", "reason=disabled"},
		{"address not allowed", "far", "secret", `reason="address not allowed"`},
	}
	var want []byte // the wrong password's answer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hashes := metricValue(t, e.reg, "tern_smpp_password_hashes_total")
			c := dialESME(t, srv.Addr())
			p, err := c.call(&smpp.Bind{Type: smpp.BindTransceiver, SystemID: tt.systemID, Password: tt.password, InterfaceVersion: smpp.InterfaceVersion})
			if err != nil {
				t.Fatal(err)
			}
			p.Seq = 0
			got, err := p.AppendTo(nil)
			if err != nil {
				t.Fatal(err)
			}
			if want == nil {
				want = got
			}
			if p.Status != smpp.StatusInvalidPassword || string(got) != string(want) {
				t.Errorf("answered %v %x, want %x as for a wrong password", p.Status.Name(), got, want)
			}
			if n := metricValue(t, e.reg, "tern_smpp_password_hashes_total") - hashes; n != 1 {
				t.Errorf("%v password hashes computed, want 1 as for a wrong password", n)
			}
			if !strings.Contains(e.logs.String(), tt.log) {
				t.Errorf("no log line with %s", tt.log)
			}
		})
	}
}

// TestPasswordChecksRunOnAPool: password checks run several at once, so
// a slow one does not hold up every other bind.
func TestPasswordChecksRunOnAPool(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme"})
	n := cap(srv.hashing)
	if n < 2 {
		t.Fatalf("password checks run %d at a time, want a pool of at least 2", n)
	}
	// Every worker but one is busy with a check that does not end.
	for range n - 1 {
		srv.hashing <- struct{}{}
	}
	t.Cleanup(func() {
		for range n - 1 {
			<-srv.hashing
		}
	})
	c := dialESME(t, srv.Addr())
	c.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
}

// TestPasswordUpgrade: new hashes cost 600,000 PBKDF2-SHA256 iterations;
// an account's older, cheaper hash is replaced on its next good bind, and
// the password still works.
func TestPasswordUpgrade(t *testing.T) {
	h, err := HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if iter := strings.Split(h, "$")[1]; iter != "600000" {
		t.Errorf("new hashes cost %s iterations, want 600000", iter)
	}
	e := newEnv(t)
	e.account(Account{SystemID: "acme"}) // at the tests' low cost
	ctx := context.Background()
	before, err := e.store.account(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	e.store.iterations = 600_000
	srv := e.start(e.config())
	c := dialESME(t, srv.Addr())
	c.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
	var after storedAccount
	testkit.Eventually(t, 2*time.Minute, func() error {
		var err error
		if after, err = e.store.account(ctx, "acme"); err != nil {
			return err
		}
		if iter := strings.Split(after.hash, "$")[1]; iter != "600000" {
			return fmt.Errorf("hash of %s iterations after a good bind (was %s), want 600000", iter, strings.Split(before.hash, "$")[1])
		}
		return nil
	})
	if ok, err := checkPassword(after.hash, "secret"); !ok || err != nil {
		t.Fatalf("the upgraded hash does not match the password: %v %v", ok, err)
	}
	c.unbind()
	dialESME(t, srv.Addr()).bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
}

// TestAccountPasswordLength: an account's password has 6 to 8 characters;
// any other is refused with an error naming the password.
func TestAccountPasswordLength(t *testing.T) {
	e := newEnv(t)
	for i, tt := range []struct {
		password string
		ok       bool
	}{{"", false}, {"abc", false}, {"abc12", false}, {"abc123", true}, {"abcd1234", true}, {"abcd12345", false}} {
		err := e.store.AddAccount(context.Background(), Account{SystemID: fmt.Sprintf("acct%d", i), TenantID: "shop"}, tt.password)
		switch {
		case tt.ok && err != nil:
			t.Errorf("%q: %v", tt.password, err)
		case !tt.ok && (!errors.Is(err, ErrInvalidAccount) || !strings.Contains(err.Error(), "password")):
			t.Errorf("%q: %v, want an invalid account naming the password", tt.password, err)
		}
	}
}

// metricValue sums the samples of a counter or gauge registered with reg
// (0 when there is none).
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var v float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			v += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return v
}
