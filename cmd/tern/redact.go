package main

import (
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
)

// dsnPassword is the password of a keyword/value connection string
// (host=… password=…), quoted or not.
var dsnPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// redactURL returns a connection URL or string fit to print: its password,
// if any, replaced by xxxxx.
func redactURL(s string) string {
	if !strings.Contains(s, "://") {
		return dsnPassword.ReplaceAllString(s, "${1}xxxxx")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}

// postgresPasswordNote says, for a local cluster, where its password is.
func (c *serveConfig) postgresPasswordNote() string {
	if c.postgresURL != "" {
		return ""
	}
	return "  (password in " + filepath.Join(c.dataDir, "postgres", localsvc.PostgresPasswordFile) + ")"
}
