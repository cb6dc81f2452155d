package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ternsms/tern/pipeline/tenants"
)

// devDashboardEmail is the login of the --dev tenant's dashboard owner.
const devDashboardEmail = "owner@dev.tern.localhost"

// devDashboardLogin makes sure tenant (which must exist) has the
// dashboard owner devDashboardEmail with the password kept in
// DATA/dev-dashboard-login ("EMAIL PASSWORD" on one line, mode 0600,
// made on first use), and returns both. The file is the truth: a
// password changed since, or a lock, is set back to it (which ends the
// user's sessions); otherwise sessions survive a restart.
func devDashboardLogin(ctx context.Context, store *tenants.Store, dataDir, tenant string) (email, password string, err error) {
	line, err := readOrCreate(filepath.Join(dataDir, "dev-dashboard-login"), func() string {
		return devDashboardEmail + " " + base64.RawURLEncoding.EncodeToString(newSecret(18))
	})
	if err != nil {
		return "", "", fmt.Errorf("dev dashboard login: %w", err)
	}
	email, password, ok := strings.Cut(line, " ")
	if !ok {
		return "", "", fmt.Errorf("dev dashboard login: %s holds no \"EMAIL PASSWORD\" line", filepath.Join(dataDir, "dev-dashboard-login"))
	}
	_, err = store.CreateUser(ctx, tenant, email, tenants.RoleOwner, password)
	if errors.Is(err, tenants.ErrExists) {
		logins := tenants.NewLogins(store, tenants.LoginPolicy{})
		if _, err = logins.Authenticate(ctx, tenant, email, password); err != nil {
			err = store.SetPassword(ctx, tenant, email, password)
		}
	}
	if err != nil {
		return "", "", fmt.Errorf("dev dashboard login: %w", err)
	}
	return email, password, nil
}
