package pipeline

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline/kafkatest"
)

// Against a broker that requires TLS and a SCRAM login, every kind of
// Kafka client tern has works with KafkaConfig's SASL and TLS: topic
// creation and the dead-letter reader (kafka-go), the producer and the
// group reader (franz-go). A wrong password, a wrong mechanism, no TLS or
// an unknown CA is refused.
func TestKafkaTLSAndSASL(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	server, roots := selfSignedTLS(t)
	addr := kafkatest.Broker(t, kfake.TLS(server), kfake.EnableSASL(),
		kfake.Superuser(ScramSHA512, "tern-app", "s3cret-pw"))
	client := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	cfg := KafkaConfig{Brokers: []string{addr}, Partitions: 2,
		SASL: &SASL{User: "tern-app", Password: "s3cret-pw"}, TLS: client}.WithDefaults()

	if err := EnsureTopics(ctx, cfg); err != nil {
		t.Fatalf("EnsureTopics: %v", err)
	}
	p, err := newProducer(cfg, cfg.Topics.DLQ, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	if err := p.produceOne(ctx, &kgo.Record{Key: []byte("+14155552671"), Value: []byte("x")}); err != nil {
		t.Fatalf("produce: %v", err)
	}
	dls, err := ListDeadLetters(ctx, cfg)
	if err != nil || len(dls) != 1 {
		t.Fatalf("ListDeadLetters = %v, %v; want the record produced", dls, err)
	}
	g, err := NewGroupReader(cfg.Brokers, "tls-sasl-test", []string{cfg.Topics.DLQ}, nil, cfg.ClientOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var got []*kgo.Record
	testkit.Eventually(t, 30*time.Second, func() error {
		got = append(got, g.Next(ctx, 10, time.Second)...)
		if len(got) != 1 {
			return fmt.Errorf("group reader read %d records, want 1", len(got))
		}
		return nil
	})

	tests := []struct {
		name   string
		change func(*KafkaConfig)
		want   string
	}{
		{"wrong password", func(c *KafkaConfig) { c.SASL = &SASL{User: "tern-app", Password: "s3cret-px"} }, "SASL Authentication Failed"},
		{"mechanism the user has no credential for", func(c *KafkaConfig) {
			c.SASL = &SASL{Mechanism: ScramSHA256, User: "tern-app", Password: "s3cret-pw"}
		}, "SASL Authentication Failed"},
		{"no TLS", func(c *KafkaConfig) { c.TLS = nil }, ""},
		{"unknown CA", func(c *KafkaConfig) { c.TLS = &tls.Config{MinVersion: tls.VersionTLS12} }, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			tt.change(&c)
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := EnsureTopics(ctx, c); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("EnsureTopics = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// selfSignedTLS returns a server config with a certificate for 127.0.0.1
// and the pool that trusts it.
func selfSignedTLS(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kafka test broker"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, roots
}
