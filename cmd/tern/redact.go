package main

import (
	"net/url"
	"regexp"
	"strings"
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
