package frontdoor

import (
	"crypto/tls"
	"net"
	"os"
	"testing"

	"github.com/ternsms/tern/api/frontdoor/tlstest"
)

// servedSerial handshakes with a server presenting c and returns the
// serial number of the certificate it presented.
func servedSerial(t *testing.T, c *Certificate, trusted []tlstest.Pair) int64 {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go tls.Server(b, c.ServerConfig("h2")).Handshake()
	cc := tls.Client(a, tlstest.ClientConfig(trusted, "h2"))
	if err := cc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if p := cc.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Errorf("ALPN %q, want h2", p)
	}
	return cc.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

func TestCertificateReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := tlstest.Write(t, dir, 1)
	c, err := LoadCertificate(first.CertFile, first.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	second := tlstest.Write(t, t.TempDir(), 2)
	both := []tlstest.Pair{first, second}
	if got := servedSerial(t, c, both); got != 1 {
		t.Fatalf("serial %d before reload, want 1", got)
	}

	// Files replaced: nothing changes until Reload.
	second = tlstest.Write(t, dir, 2)
	both[1] = second
	if got := servedSerial(t, c, both); got != 1 {
		t.Fatalf("serial %d before Reload, want 1", got)
	}
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := servedSerial(t, c, both); got != 2 {
		t.Fatalf("serial %d after Reload, want 2", got)
	}

	// A broken file: Reload fails and the pair loaded last stays.
	if err := os.WriteFile(second.KeyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err == nil {
		t.Fatal("Reload of a broken key succeeded")
	}
	if got := servedSerial(t, c, both); got != 2 {
		t.Fatalf("serial %d after a failed Reload, want 2", got)
	}
}

func TestLoadCertificateRefusesMismatch(t *testing.T) {
	t.Parallel()
	a := tlstest.Write(t, t.TempDir(), 1)
	b := tlstest.Write(t, t.TempDir(), 2)
	if _, err := LoadCertificate(a.CertFile, b.KeyFile); err == nil {
		t.Fatal("a certificate with another pair's key loaded")
	}
}
