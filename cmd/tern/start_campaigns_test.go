package main

import (
	"strings"
	"testing"
)

// TestLinkBase: --link-domain, or with --dev the API's address, is where
// tracked links point; anything but an http or https URL with a host is
// refused naming the flag.
func TestLinkBase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		dev         bool
		listen, tls string
		domain      string
		want, err   string
	}{
		{name: "domain", domain: "https://go.shop.example", want: "https://go.shop.example/l/"},
		{name: "domain with slash and path", domain: "https://shop.example/go/", want: "https://shop.example/go/l/"},
		{name: "none without dev", listen: "127.0.0.1:8080", want: ""},
		{name: "dev: the API", dev: true, listen: "127.0.0.1:8080", want: "http://127.0.0.1:8080/l/"},
		{name: "dev: every address", dev: true, listen: ":8080", want: "http://127.0.0.1:8080/l/"},
		{name: "dev: IPv6 unspecified", dev: true, listen: "[::]:8080", want: "http://127.0.0.1:8080/l/"},
		{name: "dev with TLS", dev: true, listen: "127.0.0.1:8443", tls: "cert.pem", want: "https://127.0.0.1:8443/l/"},
		{name: "domain over dev", dev: true, listen: "127.0.0.1:8080", domain: "http://links.test", want: "http://links.test/l/"},
		{name: "no scheme", domain: "go.shop.example", err: "--link-domain"},
		{name: "other scheme", domain: "ftp://go.shop.example", err: "--link-domain"},
		{name: "query", domain: "https://go.shop.example/?a=1", err: "--link-domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serveConfig{dev: tt.dev, listen: tt.listen}
			c.api.tlsCert = tt.tls
			c.campaigns.linkDomain = tt.domain
			got, err := c.linkBase()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("linkBase = %q, %v; want an error naming %s", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("linkBase = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
