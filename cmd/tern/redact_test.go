package main

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"url with password", "postgres://tern:s3cret@127.0.0.1:15432/tern?sslmode=disable", "postgres://tern:xxxxx@127.0.0.1:15432/tern?sslmode=disable"},
		{"url without password", "postgres://tern@127.0.0.1:15432/tern", "postgres://tern@127.0.0.1:15432/tern"},
		{"password with escapes", "postgres://tern:s%40cret%2F@db:5432/tern", "postgres://tern:xxxxx@db:5432/tern"},
		{"keyword string", "host=db user=tern password=s3cret dbname=tern", "host=db user=tern password=xxxxx dbname=tern"},
		{"keyword string, quoted", "host=db password='s3 cret' dbname=tern", "host=db password=xxxxx dbname=tern"},
		{"url that does not parse", "postgres://tern:s3cret@db:port/tern", "(a URL that does not parse)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redactURL(tt.in)
			if got != tt.want {
				t.Fatalf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.Contains(got, "s3cret") || strings.Contains(got, "s%40cret") {
				t.Fatalf("redactURL(%q) = %q keeps the password", tt.in, got)
			}
		})
	}
}
