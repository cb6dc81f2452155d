package smpp_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
)

// Interop tests against Perl's Net::SMPP (Debian libnet-smpp-perl), a
// third-party SMPP 3.4 implementation. Where it is not installed they
// skip, or fail under CI=true (`make test` installs it).

func needNetSMPP(t *testing.T) {
	t.Helper()
	if err := exec.Command("perl", "-MNet::SMPP", "-e", "1").Run(); err != nil {
		msg := "perl Net::SMPP not installed (Debian libnet-smpp-perl; make deps installs it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// perlESME binds as transceiver, submits by submit_sm, submit_multi and
// data_sm, queries, pings, reads receipts until the one for its
// submit_sm, and unbinds.
const perlESME = `
use strict; use warnings; use Net::SMPP;
my ($host, $port) = @ARGV;
my $s = Net::SMPP->new_transceiver($host, port => $port, system_id => 'perl', password => 'pw')
  or die "bind failed";
my $r = $s->submit_sm(dest_addr_ton => 1, dest_addr_npi => 1, destination_addr => '4915112345678',
  short_message => 'hello from perl', registered_delivery => 1) or die "submit_sm";
die "submit_sm status $r->{status}" if $r->{status};
my $id = $r->{message_id};
print "id $id\n";
$r = $s->query_sm(message_id => $id) or die "query_sm";
die "query_sm status $r->{status}" if $r->{status};
print "state $r->{message_state}\n";
$r = $s->submit_multi(destination_addr => ['4915100000001', '4915100000002'], short_message => 'to two') or die "submit_multi";
die "submit_multi status $r->{status}" if $r->{status};
$r = $s->data_sm(destination_addr => '4915100000003', message_payload => 'by data sm') or die "data_sm";
die "data_sm status $r->{status}" if $r->{status};
$s->enquire_link() or die "enquire_link";
while (my $pdu = $s->read_pdu()) {
  next unless $pdu->{cmd} == 0x00000005;
  $s->deliver_sm_resp(message_id => '', seq => $pdu->{seq});
  if (index($pdu->{short_message}, "id:$id ") == 0) { print "receipt $pdu->{short_message}\n"; last; }
}
$s->unbind() or die "unbind";
`

func TestInteropPerlESME(t *testing.T) {
	t.Parallel()
	needNetSMPP(t)
	sim := startSim(t, smscsim.Config{SystemID: "perl", Password: "pw", ReceiptDelay: 300 * time.Millisecond})
	host, port, _ := net.SplitHostPort(sim.Addr())
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "perl", "-e", perlESME, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("perl esme: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("state 1\n")) || !bytes.Contains(out, []byte("stat:DELIVRD")) {
		t.Errorf("perl esme saw:\n%s", out)
	}
	for _, m := range []struct{ to, text string }{
		{"+4915112345678", "hello from perl"},
		{"+4915100000001", "to two"},
		{"+4915100000002", "to two"},
		{"+4915100000003", "by data sm"},
	} {
		if n := sim.Submits(m.to, m.text); n != 1 {
			t.Errorf("simulator took %q to %s %d times", m.text, m.to, n)
		}
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if st := sim.Stats(); st.Unbinds != 1 {
			return fmt.Errorf("stats %+v, want an unbind", st)
		}
		return nil
	})
}

// perlSMSC accepts one ESME, answers its bind and submit_sm (message id
// 3A7F), sends a receipt naming the id in decimal, and answers
// enquire_link until the ESME unbinds.
const perlSMSC = `
use strict; use warnings; use Net::SMPP;
my ($port) = @ARGV;
my $l = Net::SMPP->new_listen('127.0.0.1', port => $port) or die "listen";
print "listening\n"; $| = 1;
my $c = $l->accept or die "accept";
while (my $pdu = $c->read_pdu()) {
  my $cmd = $pdu->{cmd};
  if ($cmd == 0x00000009) { $c->set_version(0x34); $c->bind_transceiver_resp(system_id => 'perlsmsc', seq => $pdu->{seq}); }
  elsif ($cmd == 0x00000004) {
    $c->submit_sm_resp(message_id => '3A7F', seq => $pdu->{seq});
    $c->deliver_sm(source_addr => $pdu->{destination_addr}, destination_addr => $pdu->{source_addr}, esm_class => 0x04,
      short_message => 'id:14975 sub:001 dlvrd:001 submit date:2401021504 done date:2401021505 stat:DELIVRD err:000 text:hi', async => 1);
  }
  elsif ($cmd == 0x80000005) { print "receipt answered $pdu->{status}\n"; }
  elsif ($cmd == 0x00000015) { $c->enquire_link_resp(seq => $pdu->{seq}); }
  elsif ($cmd == 0x00000006) { $c->unbind_resp(seq => $pdu->{seq}); print "unbound\n"; exit 0; }
}
`

func TestInteropPerlSMSC(t *testing.T) {
	t.Parallel()
	needNetSMPP(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "perl", "-e", perlSMSC, port)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	got := make(chan carriers.Receipt, 1)
	c, err := smpp.NewClient(smpp.ClientConfig{Name: "perl", Addr: "127.0.0.1:" + port, SystemID: "tern", ReconnectMin: 20 * time.Millisecond,
		ResponseIDFormat: smpp.IDHex, ReceiptIDFormat: smpp.IDDecimal},
		smpp.WithReceiptHandler(func(_ context.Context, r carriers.Receipt) error { got <- r; return nil }), smpp.WithLogger(testkit.EnvLogger()))
	if err != nil {
		t.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- c.Run(ctx) }()
	acc, err := c.Submit(ctx, &carriers.Submission{To: "+4915112345678", From: "Shop", Text: "hi", RegisteredDelivery: true})
	if err != nil {
		t.Fatalf("submit: %v\n%s", err, out.String())
	}
	r := <-got
	if len(acc.IDs) != 1 || r.ID != acc.IDs[0] || r.ID != "14975" || r.State != "DELIVRD" {
		t.Errorf("accepted %v, receipt %+v; want both 14975 (0x3A7F)", acc.IDs, r)
	}
	if err := c.Close(ctx); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := <-runDone; err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("perl smsc: %v", err)
	}
	if s := out.String(); !strings.Contains(s, "receipt answered 0") || !strings.Contains(s, "unbound") {
		t.Errorf("perl smsc saw:\n%s", s)
	}
}
