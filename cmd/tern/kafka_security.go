package main

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/ternsms/tern/pipeline"
)

// kafkaPasswordEnv holds the SASL password when no flag gives it, which
// keeps it out of the process list.
const kafkaPasswordEnv = "TERN_KAFKA_SASL_PASSWORD"

// kafkaSecurity is how a Kafka client of tern logs in (SASL/SCRAM) and
// encrypts (TLS), for clusters that require it.
type kafkaSecurity struct {
	saslUser      string
	saslPassword  string
	saslMechanism string
	tls           bool
	tlsCA         string
}

func (k *kafkaSecurity) flags(fs *flag.FlagSet) {
	fs.StringVar(&k.saslUser, "kafka-sasl-user", "", "log in to Kafka as this SASL/SCRAM user (tern serve's in-process broker, without --kafka-brokers, then requires it); empty: no SASL")
	fs.StringVar(&k.saslPassword, "kafka-sasl-password", "", "the SASL user's password; empty reads $"+kafkaPasswordEnv+", which keeps it out of the process list")
	fs.StringVar(&k.saslMechanism, "kafka-sasl-mechanism", pipeline.ScramSHA512, "SASL mechanism: "+pipeline.ScramSHA512+" or "+pipeline.ScramSHA256)
	fs.BoolVar(&k.tls, "kafka-tls", false, "connect to Kafka over TLS")
	fs.StringVar(&k.tlsCA, "kafka-tls-ca", "", "PEM `file` of the CAs that sign the brokers' certificates (implies --kafka-tls); empty trusts the system's CAs")
}

// apply sets c's SASL and TLS settings from the flags.
func (k *kafkaSecurity) apply(c *pipeline.KafkaConfig) error {
	if k.saslUser == "" && k.saslPassword != "" {
		return errors.New("--kafka-sasl-password: no --kafka-sasl-user")
	}
	if k.saslUser != "" {
		if k.saslMechanism != pipeline.ScramSHA256 && k.saslMechanism != pipeline.ScramSHA512 {
			return fmt.Errorf("--kafka-sasl-mechanism %q: want %s or %s", k.saslMechanism, pipeline.ScramSHA512, pipeline.ScramSHA256)
		}
		pw := cmp.Or(k.saslPassword, os.Getenv(kafkaPasswordEnv))
		if pw == "" {
			return fmt.Errorf("--kafka-sasl-user %s: no password (--kafka-sasl-password or $%s)", k.saslUser, kafkaPasswordEnv)
		}
		c.SASL = &pipeline.SASL{Mechanism: k.saslMechanism, User: k.saslUser, Password: pw}
	}
	if !k.tls && k.tlsCA == "" {
		return nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if k.tlsCA != "" {
		pem, err := os.ReadFile(k.tlsCA)
		if err != nil {
			return fmt.Errorf("--kafka-tls-ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--kafka-tls-ca %s: no PEM certificate in it", k.tlsCA)
		}
	}
	c.TLS = cfg
	return nil
}
