package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	twstore "github.com/ternsms/tern/pipeline/twilio"
)

// devTwilioAccount returns the --dev tenant's Twilio-compatible account
// as "AC…:token" and its Verify service, "VA…": its oldest working
// account, made on first use. It writes them to DATA/dev-twilio-account
// and DATA/dev-twilio-verify-service on every start, since the token
// follows from the id key.
func devTwilioAccount(ctx context.Context, dataDir string, store *twstore.Store, tokens twstore.Tokens) (string, string, error) {
	accounts, err := store.Accounts(ctx, "dev")
	if err != nil {
		return "", "", err
	}
	var acct *twstore.Account
	for i := range accounts {
		if accounts[i].Revoked.IsZero() {
			acct = &accounts[i]
			break
		}
	}
	if acct == nil {
		a, _, err := store.CreateAccount(ctx, tokens, "dev", "dev", "")
		if err != nil {
			return "", "", err
		}
		acct = &a
	}
	pair := acct.SID + ":" + tokens.Token(acct.SID)
	for name, v := range map[string]string{"dev-twilio-account": pair, "dev-twilio-verify-service": acct.VerifyServiceSID} {
		if err := os.WriteFile(filepath.Join(dataDir, name), []byte(v+"\n"), 0o600); err != nil {
			return "", "", fmt.Errorf("dev twilio account: %w", err)
		}
	}
	return pair, acct.VerifyServiceSID, nil
}
