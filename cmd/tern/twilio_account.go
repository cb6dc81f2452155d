package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/ternsms/tern/pipeline/tenants"
	twstore "github.com/ternsms/tern/pipeline/twilio"
)

// runTwilioAccount manages the accounts of the Twilio-compatible surface
// in PostgreSQL:
//
//	tern twilio-account create --tenant T [--name N] [--sms-url URL]
//	tern twilio-account list --tenant T
//	tern twilio-account set-sms-url --sid AC… --sms-url URL
//	tern twilio-account revoke --sid AC…
//
// create prints the account SID, its auth token (once; tern keeps only
// its hash) and its Verify service SID. Tokens are derived from the
// message id key, so create reads the server's (--id-key-file).
func runTwilioAccount(ctx context.Context, args []string, out io.Writer) error {
	cmds := map[string]bool{"create": true, "list": true, "set-sms-url": true, "revoke": true}
	if len(args) == 0 || !cmds[args[0]] {
		return errors.New("twilio-account: want create, list, set-sms-url or revoke")
	}
	cmd := args[0]
	fs := flag.NewFlagSet("twilio-account "+cmd, flag.ContinueOnError)
	pgURL := fs.String("postgres-url", "", "PostgreSQL `URL`; empty uses the database of a running tern serve --dev ("+devPostgresURL+")")
	var tenant, name, smsURL, sid, idKeyFile string
	switch cmd {
	case "create", "list":
		fs.StringVar(&tenant, "tenant", "", "the tenant the account acts for")
	default:
		fs.StringVar(&sid, "sid", "", "the account SID (AC…)")
	}
	if cmd == "create" || cmd == "set-sms-url" {
		fs.StringVar(&smsURL, "sms-url", "", "`URL` the tenant's inbound messages are posted to, as Twilio posts them; empty for none")
	}
	if cmd == "create" {
		fs.StringVar(&name, "name", "", "a label, e.g. the store plugin using the account")
		fs.StringVar(&idKeyFile, "id-key-file", filepath.Join("data", "id-key"), "the server's message id key (hex), which auth tokens are derived from")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("twilio-account %s: unexpected arguments %q", cmd, fs.Args())
	case (cmd == "create" || cmd == "list") && tenant == "":
		return fmt.Errorf("twilio-account %s: --tenant is required", cmd)
	case (cmd == "revoke" || cmd == "set-sms-url") && sid == "":
		return fmt.Errorf("twilio-account %s: --sid is required", cmd)
	}
	if err := twstore.CheckSMSURL(smsURL); err != nil {
		return fmt.Errorf("--%w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	store, err := twstore.Open(ctx, pgURLOrDev(*pgURL), nil)
	if err != nil {
		return err
	}
	defer store.Close()
	switch cmd {
	case "create":
		return createTwilioAccount(ctx, store, pgURLOrDev(*pgURL), idKeyFile, tenant, name, smsURL, out)
	case "revoke":
		if err := store.RevokeAccount(ctx, sid); err != nil {
			return err
		}
		return writeJSON(out, map[string]any{"account_sid": sid, "revoked": true})
	case "set-sms-url":
		if err := store.SetSMSURL(ctx, sid, smsURL); err != nil {
			return err
		}
		return writeJSON(out, map[string]any{"account_sid": sid, "sms_url": smsURL})
	}
	list, err := store.Accounts(ctx, tenant)
	if err != nil {
		return err
	}
	for _, a := range list {
		if err := writeJSON(out, twilioAccountJSON(a)); err != nil {
			return err
		}
	}
	return nil
}

// createTwilioAccount checks the tenant exists, then makes the account
// and prints it with its token.
func createTwilioAccount(ctx context.Context, store *twstore.Store, pgURL, idKeyFile, tenant, name, smsURL string, out io.Writer) error {
	idKey, err := readIDKey(idKeyFile)
	if err != nil {
		return err
	}
	ts, err := tenants.Open(ctx, pgURL, nil)
	if err != nil {
		return err
	}
	defer ts.Close()
	if _, err := ts.Tenant(ctx, tenant); err != nil {
		return err
	}
	a, token, err := store.CreateAccount(ctx, twstore.NewTokens(idKey), tenant, name, smsURL)
	if err != nil {
		return err
	}
	j := twilioAccountJSON(a)
	j["auth_token"] = token
	return writeJSON(out, j)
}

// twilioAccountJSON is an account as the command prints it: never the
// token or its hash.
func twilioAccountJSON(a twstore.Account) map[string]any {
	j := map[string]any{"account_sid": a.SID, "tenant": a.Tenant, "name": a.Name, "verify_service_sid": a.VerifyServiceSID,
		"messaging_service_sid": a.MessagingServiceSID, "sms_url": a.SMSURL, "created": a.Created.UTC().Format(time.RFC3339)}
	if !a.Revoked.IsZero() {
		j["revoked"] = a.Revoked.UTC().Format(time.RFC3339)
	}
	return j
}
