package main

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/ternsms/tern/pipeline"
)

func TestKafkaSecurityFlags(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		env      string
		wantSASL *pipeline.SASL
		wantTLS  bool
		wantErr  string
	}{
		{"none", nil, "", nil, false, ""},
		{"user and password", []string{"--kafka-sasl-user", "u", "--kafka-sasl-password", "p"}, "", &pipeline.SASL{Mechanism: pipeline.ScramSHA512, User: "u", Password: "p"}, false, ""},
		{"password from the environment", []string{"--kafka-sasl-user", "u", "--kafka-sasl-mechanism", "SCRAM-SHA-256"}, "e", &pipeline.SASL{Mechanism: pipeline.ScramSHA256, User: "u", Password: "e"}, false, ""},
		{"flag over environment", []string{"--kafka-sasl-user", "u", "--kafka-sasl-password", "p"}, "e", &pipeline.SASL{Mechanism: pipeline.ScramSHA512, User: "u", Password: "p"}, false, ""},
		{"tls", []string{"--kafka-tls"}, "", nil, true, ""},
		{"no password", []string{"--kafka-sasl-user", "u"}, "", nil, false, "--kafka-sasl-user u: no password"},
		{"password without user", []string{"--kafka-sasl-password", "p"}, "", nil, false, "no --kafka-sasl-user"},
		{"unknown mechanism", []string{"--kafka-sasl-user", "u", "--kafka-sasl-password", "p", "--kafka-sasl-mechanism", "PLAIN"}, "", nil, false, `--kafka-sasl-mechanism "PLAIN"`},
		{"ca without a certificate", []string{"--kafka-tls-ca", ca}, "", nil, false, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(kafkaPasswordEnv, tt.env)
			var k kafkaSecurity
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			k.flags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			var c pipeline.KafkaConfig
			err := k.apply(&c)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("apply = %v, want an error with %q", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if (tt.wantSASL == nil) != (c.SASL == nil) || (c.SASL != nil && *c.SASL != *tt.wantSASL) {
				t.Fatalf("SASL = %+v, want %+v", c.SASL, tt.wantSASL)
			}
			if (c.TLS != nil) != tt.wantTLS {
				t.Fatalf("TLS = %v, want set: %v", c.TLS, tt.wantTLS)
			}
		})
	}
}

// The in-process broker's users are those its flags name, also when its
// log directory holds the users of an earlier run.
func TestBrokerUsersFromFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for round, pw := range []string{"first-pw", "second-pw"} {
		b, err := startBroker("127.0.0.1:0", dir, 1, false, &pipeline.SASL{User: "tern-app", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		for _, try := range []struct {
			pw     string
			wantOK bool
		}{{pw, true}, {"first-pw", round == 0}} {
			err := ping(b.ListenAddrs()[0], scram.Auth{User: "tern-app", Pass: try.pw}.AsSha512Mechanism())
			if (err == nil) != try.wantOK {
				t.Fatalf("round %d, password %s: ping = %v, want ok: %v", round, try.pw, err, try.wantOK)
			}
		}
		b.Close()
	}
}

// ping logs in to the broker at addr with m and asks for its metadata.
func ping(addr string, m sasl.Mechanism) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(m))
	if err != nil {
		return err
	}
	defer cl.Close()
	return cl.Ping(ctx)
}
