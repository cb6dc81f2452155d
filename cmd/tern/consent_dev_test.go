package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestConsentDev: tern serve --dev writes the dev operator key and the
// dev tenant's default sender, and serves the simulator's control
// endpoint, so that `tern sim-reply` has a handset's STOP reach tern,
// which honours it at the API and at the SMPP gateway (ESME_RX_R_APPN)
// and still forwards it to the SMPP account owning the number;
// the gateway refuses an alphanumeric sender to the US with
// ESME_RINVSRCADR; the operator key manages tenants.
func TestConsentDev(t *testing.T) {
	t.Parallel()
	r := startConfigured(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 1, DeliveredRatio: 1, ReceiptDelay: 10 * time.Millisecond}, func(c *serveConfig) {
		c.simControl = "127.0.0.1:0"
		c.smpp = smppFlags{listen: "127.0.0.1:0"}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Dir(r.smpp.devAccountFile)
	for name, want := range map[string]string{"dev-admin-key": r.devAdminKey, "dev-sender": defaultDevSender} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || strings.TrimSpace(string(b)) != want || want == "" {
			t.Fatalf("%s: %q %v, want %q", name, b, err, want)
		}
	}
	if r.devSender != defaultDevSender || r.simControl == "" {
		t.Fatalf("dev sender %q, simulator control %q", r.devSender, r.simControl)
	}
	admin := ternv1connect.NewAdminServiceClient(h2c(), "http://"+r.apiAddr, bearer(r.devAdminKey))
	ts, err := admin.ListTenants(ctx, connect.NewRequest(&ternv1.ListTenantsRequest{}))
	if err != nil || len(ts.Msg.GetTenants()) != 1 || ts.Msg.GetTenants()[0].GetId() != "dev" {
		t.Fatalf("ListTenants with the dev admin key = %v, %v", ts, err)
	}

	const to = "+14155552740"
	send := connectSender("http://"+r.apiAddr, r.devKey)
	if _, err := send(ctx, &ternv1.SendRequest{To: to, Body: "Your order shipped"}); err != nil {
		t.Fatalf("send from the default sender: %v", err)
	}
	testkit.Eventually(t, time.Minute, func() error {
		if n := r.sim.Submits(to, "Your order shipped"); n != 1 {
			return fmt.Errorf("submitted %d times", n)
		}
		return nil
	})
	// An SMPP account owning the number still gets the reply tern acts on.
	if err := runSMPPAccount(ctx, []string{"add", "--postgres-url", r.postgresURL, "--system-id", "replies",
		"--password", "replies", "--tenant", "dev", "--number", r.devSender}); err != nil {
		t.Fatal(err)
	}
	rx := newCustomer(t, r.smpp.srv.Addr(), "replies", "replies", smpp.BindTransceivers)
	if err := runSimReply(ctx, []string{"--control", r.simControl, "--from", to, "--to", r.devSender, "--text", "STOP"}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, time.Minute, func() error {
		rx.mu.Lock()
		defer rx.mu.Unlock()
		if len(rx.replies) != 1 || rx.replies[0].From != to || rx.replies[0].Text != "STOP" {
			return fmt.Errorf("replies forwarded to the account owning the number: %+v", rx.replies)
		}
		return nil
	})
	testkit.Eventually(t, time.Minute, func() error {
		_, err := send(ctx, &ternv1.SendRequest{To: to, Body: "Your order shipped"})
		if connect.CodeOf(err) != connect.CodeFailedPrecondition || connectMessage(err) != "to: recipient opted out" {
			return fmt.Errorf("send after STOP: %v", err)
		}
		return nil
	})

	sys, pw, _ := strings.Cut(r.smpp.devAccount, ":")
	q := newQuerier(t, r.smpp.srv.Addr(), sys, pw)
	intl := func(n string) smpp.Address {
		return smpp.Address{TON: smpp.TONInternational, NPI: smpp.NPIISDN, Addr: strings.TrimPrefix(n, "+")}
	}
	for _, c := range []struct {
		name     string
		src, dst smpp.Address
		want     smpp.CommandStatus
	}{
		{"alphanumeric sender to the US", smpp.Address{TON: smpp.TONAlphanumeric, Addr: "SHOP"}, intl("+14155552741"), smpp.StatusInvalidSourceAddr},
		{"recipient opted out", intl(r.devSender), intl(to), smpp.StatusRejectedAppError},
		{"default sender", intl(r.devSender), intl("+14155552741"), smpp.StatusOK},
	} {
		p := q.call(&smpp.SubmitSM{Source: c.src, Dest: c.dst, ShortMessage: []byte("Your order shipped")})
		if p.Status != c.want {
			t.Errorf("%s: %s, want %s", c.name, p.Status.Name(), c.want.Name())
		}
	}
}
