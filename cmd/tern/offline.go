package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/keyword"
	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/core/quiet"
)

// The offline commands answer from core alone, no server needed, each
// printing one JSON object on stdout.

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// oneArg parses fs and returns its single positional argument (several
// words are joined with spaces, so quoting is optional).
func oneArg(fs *flag.FlagSet, args []string, what string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", fmt.Errorf("%s: missing %s", fs.Name(), what)
	}
	return strings.Join(fs.Args(), " "), nil
}

func runEstimate(args []string) error {
	fs := flag.NewFlagSet("estimate", flag.ContinueOnError)
	smart := fs.Bool("smart", false, "replace typographic look-alikes with GSM characters when that keeps the text GSM-7")
	tables := fs.String("shift-tables", "", "national language shift tables the text may use, e.g. tr,es,pt")
	text, err := oneArg(fs, args, "TEXT")
	if err != nil {
		return err
	}
	langs, err := gsm.ParseLanguages(*tables)
	if err != nil {
		return fmt.Errorf("--shift-tables: %w", err)
	}
	opt := gsm.Options{Smart: *smart, Languages: langs}
	out := struct {
		gsm.Info
		Replacements []replacementJSON `json:"replacements,omitempty"`
	}{Info: gsm.Analyze(text, opt)}
	if *smart {
		for _, r := range gsm.Replacements(text, opt) {
			out.Replacements = append(out.Replacements, replacementJSON{string(r.From), r.To, r.Count})
		}
	}
	return printJSON(out)
}

type replacementJSON struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
}

func runKeyword(args []string) error {
	fs := flag.NewFlagSet("keyword", flag.ContinueOnError)
	text, err := oneArg(fs, args, "TEXT")
	if err != nil {
		return err
	}
	r := keyword.Classify(text)
	return printJSON(struct {
		Intent   keyword.Intent `json:"intent"`
		Keyword  string         `json:"keyword,omitempty"`
		Language string         `json:"language,omitempty"`
	}{r.Intent, r.Keyword, r.Language})
}

// errInvalidNumber makes `tern phone` exit non-zero after printing.
var errInvalidNumber = errors.New("not a valid number")

func runPhone(args []string) error {
	fs := flag.NewFlagSet("phone", flag.ContinueOnError)
	region := fs.String("region", "", "region (ISO 3166-1 alpha-2) for numbers in national form")
	raw, err := oneArg(fs, args, "NUMBER")
	if err != nil {
		return err
	}
	n, err := phone.Inspect(raw, *region)
	if err != nil {
		printJSON(struct {
			Valid bool   `json:"valid"`
			Error string `json:"error"`
		}{false, err.Error()})
		return errInvalidNumber
	}
	if err := printJSON(phoneJSON(n)); err != nil {
		return err
	}
	if !n.Valid {
		return errInvalidNumber
	}
	return nil
}

type phoneOut struct {
	E164      string     `json:"e164"`
	Valid     bool       `json:"valid"`
	Type      phone.Type `json:"type"`
	Region    string     `json:"region"`
	TimeZones []string   `json:"timezones"`
}

func phoneJSON(n phone.Number) phoneOut {
	tz := n.TimeZones
	if tz == nil {
		tz = []string{}
	}
	return phoneOut{n.E164, n.Valid, n.Type, n.Region, tz}
}

func runQuietHours(args []string) error {
	fs := flag.NewFlagSet("quiet-hours", flag.ContinueOnError)
	to := fs.String("to", "", "recipient in E.164")
	at := fs.String("at", "", "when to send, RFC 3339 (default now)")
	category := fs.String("category", "marketing", "marketing, transactional or otp")
	if err := fs.Parse(args); err != nil {
		return err
	}
	n, err := phone.Parse(*to, "")
	if err != nil {
		return fmt.Errorf("--to %q: %w", *to, err)
	}
	when := time.Now()
	if *at != "" {
		if when, err = time.Parse(time.RFC3339, *at); err != nil {
			return fmt.Errorf("--at: %w", err)
		}
	}
	cat, ok := map[string]core.Category{"marketing": core.CategoryMarketing, "transactional": core.CategoryTransactional, "otp": core.CategoryOTP}[*category]
	if !ok {
		return fmt.Errorf("--category %q: want marketing, transactional or otp", *category)
	}
	p, err := quiet.New(quiet.Config{})
	if err != nil {
		return err
	}
	d := p.Check(when, cat, n)
	return printJSON(struct {
		Allowed     bool   `json:"allowed"`
		NextAllowed string `json:"next_allowed"`
		TimeZone    string `json:"timezone"`
	}{d.Allowed, d.NextAllowed.UTC().Format(time.RFC3339), d.TimeZone})
}
