package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSMPPAccountPasswordRules: smpp-account add refuses a password an
// account may not have, naming the flag, before it connects anywhere.
func TestSMPPAccountPasswordRules(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, pw := range []string{"abc", "abc12", "abcd12345"} {
		err := runSMPPAccount(ctx, []string{"add", "--postgres-url", "postgres://tern@127.0.0.1:1/none?connect_timeout=1",
			"--system-id", "shop1", "--tenant", "shop-1", "--password", pw})
		if err == nil || !strings.Contains(err.Error(), "--password") || !strings.Contains(err.Error(), "6 to 8") {
			t.Errorf("password %q: %v, want an error naming --password and its rule", pw, err)
		}
	}
}
