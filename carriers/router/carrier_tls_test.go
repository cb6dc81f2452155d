package router

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCA writes a self-signed CA certificate in PEM to a file of t's and
// returns its path.
func writeCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParseCarrierTLS(t *testing.T) {
	t.Parallel()
	ca := writeCA(t)
	notPEM := filepath.Join(t.TempDir(), "x.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	tests := []struct {
		name    string
		query   string
		tls     bool
		roots   bool
		wantErr string
	}{
		{"off", "", false, false, ""},
		{"tls", "tls=true", true, false, ""},
		{"tls false", "tls=false", false, false, ""},
		{"ca implies tls", "tls_ca=" + ca, true, true, ""},
		{"bad bool", "tls=maybe", false, false, "tls \"maybe\""},
		{"missing ca", "tls_ca=/nonexistent/ca.pem", false, false, "tls_ca"},
		{"not pem", "tls_ca=" + notPEM, false, false, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := ParseCarrier("smpp://tern:pw@smsc.example:3550?" + tt.query)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (c.SMPP.TLS != nil) != tt.tls || (tt.tls && (c.SMPP.TLS.RootCAs != nil) != tt.roots) {
				t.Fatalf("TLS %+v, want on %v, own roots %v", c.SMPP.TLS, tt.tls, tt.roots)
			}
		})
	}
}
