package main

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// defaultServeConfig is tern serve's configuration with every flag at its
// default, for a test to change. The SMPP gateway is off unless the test
// sets its address.
func defaultServeConfig(t *testing.T) serveConfig {
	t.Helper()
	c, err := parseServeFlags()
	if err != nil {
		t.Fatal(err)
	}
	c.smpp = smppFlags{}
	return c
}

// parseServeFlags reads tern serve's flags from args.
func parseServeFlags(args ...string) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.flags(fs)
	err := fs.Parse(args)
	return c, err
}

func TestServeConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string // "" or a part of the error
	}{
		{"defaults", nil, ""},
		{"longer validity within the retention", []string{"--validity", "144h"}, ""},
		{"validity too long for the default retention", []string{"--validity", "145h"}, "--ledger-retention 168h0m0s: want at least 169h0m0s"},
		{"retention shorter than validity", []string{"--ledger-retention", "24h"}, "--ledger-retention 24h0m0s: want at least 72h0m0s (--validity 48h0m0s plus 24h0m0s)"},
		{"retention raised with validity", []string{"--validity", "240h", "--ledger-retention", "720h"}, ""},
		{"no validity", []string{"--validity", "0s"}, "--validity 0s: want more than 0"},
		{"no receipt grace", []string{"--receipt-grace", "0s"}, "--receipt-grace 0s: want more than 0"},
		{"receipt grace past the retention", []string{"--receipt-grace", "121h"}, "--receipt-grace 121h0m0s: want more than 0, and --validity plus it within --ledger-retention 168h0m0s"},
		{"negative partitions", []string{"--kafka-partitions", "-1"}, "--kafka-partitions -1"},
		{"marketing in the submit topic", []string{"--topic-marketing", "tern.submit"}, `--topic-marketing "tern.submit": want three different topics`},
		{"OTP in the marketing topic", []string{"--topic-otp", "promo", "--topic-marketing", "promo"}, `--topic-otp "promo", --topic-marketing "promo": want three`},
		{"TLS certificate without its key", []string{"--tls-cert", "cert.pem"}, "--tls-cert and --tls-key: give both or neither"},
		{"TLS key without its certificate", []string{"--tls-key", "key.pem"}, "--tls-cert and --tls-key: give both or neither"},
		{"negative connection cap", []string{"--max-connections-per-client", "-1"}, "want 0 (no bound) or more"},
		{"negative read timeout", []string{"--read-timeout", "-1s"}, "--read-timeout -1s: want 0 or more"},
		{"SMPP over TLS without a certificate", []string{"--smpp-tls-listen", "127.0.0.1:3775"}, "--smpp-tls-listen: needs a certificate and key"},
		{"SMPP over TLS with the API's certificate", []string{"--smpp-tls-listen", "127.0.0.1:3775", "--tls-cert", "c", "--tls-key", "k"}, ""},
		{"SMPP over TLS with its own certificate", []string{"--smpp-tls-listen", "127.0.0.1:3775", "--smpp-tls-cert", "c", "--smpp-tls-key", "k"}, ""},
		{"no SMPP connections", []string{"--smpp-max-connections", "0"}, "--smpp-max-connections 0: want at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseServeFlags(append([]string{"--dev"}, tt.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestServeConfigPartitions(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{nil, embeddedPartitions},
		{[]string{"--kafka-brokers", "10.0.0.5:9092"}, clusterPartitions},
		{[]string{"--kafka-partitions", "8"}, 8},
		{[]string{"--kafka-brokers", "10.0.0.5:9092", "--kafka-partitions", "2"}, 2},
	}
	for _, tt := range tests {
		c, err := parseServeFlags(append([]string{"--dev"}, tt.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("%v: Validate() = %v", tt.args, err)
		}
		if got := c.partitions(); got != tt.want {
			t.Errorf("%v: partitions() = %d, want %d", tt.args, got, tt.want)
		}
	}
}
