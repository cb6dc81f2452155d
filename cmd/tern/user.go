package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
	"github.com/ternsms/tern/pipeline/tenants"
)

// userFlags are the flags of one user command.
type userFlags struct {
	pgURL, tenant, email, role string
	passwordStdin              bool
}

// runUser manages dashboard users in PostgreSQL:
//
//	tern user create --tenant T --email E --role R [--password-stdin]
//	tern user list --tenant T
//	tern user disable --tenant T --email E
//
// create prints the user and, unless --password-stdin gave one, the
// generated password, once: tern keeps only its argon2id hash. disable
// ends the user's sessions at once. Without --postgres-url it works on
// the database of a running `tern serve --dev` (make run).
func runUser(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "disable") {
		return errors.New("user: want create, list or disable")
	}
	cmd := args[0]
	var f userFlags
	fs := flag.NewFlagSet("user "+cmd, flag.ContinueOnError)
	fs.StringVar(&f.pgURL, "postgres-url", "", "PostgreSQL `URL`; empty uses the database of a running tern serve --dev ("+devPostgresURL+")")
	fs.StringVar(&f.tenant, "tenant", "", "the tenant the user signs in to")
	if cmd != "list" {
		fs.StringVar(&f.email, "email", "", "the user's email, their login")
	}
	if cmd == "create" {
		fs.StringVar(&f.role, "role", "", "owner, admin, marketer or viewer")
		fs.BoolVar(&f.passwordStdin, "password-stdin", false, fmt.Sprintf("read the password from the first line of stdin (%d to %d characters) instead of generating one", tenants.MinPasswordLen, tenants.MaxPasswordLen))
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("user %s: unexpected arguments %q", cmd, fs.Args())
	}
	if f.tenant == "" {
		return fmt.Errorf("user %s: --tenant is required", cmd)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	store, err := openUserStore(ctx, f.pgURL)
	if err != nil {
		return err
	}
	defer store.Close()
	switch cmd {
	case "create":
		return createUser(ctx, store, f, in, out)
	case "disable":
		return disableUser(ctx, store, f, out)
	}
	users, err := store.Users(ctx, f.tenant)
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := writeJSON(out, userJSON(u)); err != nil {
			return err
		}
	}
	return nil
}

func openUserStore(ctx context.Context, url string) (*tenants.Store, error) {
	if url == "" {
		dev, err := localsvc.PostgresURL(localsvc.PostgresConfig{Dir: "data/postgres", Port: 15432})
		if err != nil {
			return nil, err
		}
		url = dev
	}
	return tenants.Open(ctx, url, nil)
}

// createUser adds the user of f and prints it, with the password when
// it was generated.
func createUser(ctx context.Context, store *tenants.Store, f userFlags, in io.Reader, out io.Writer) error {
	role, err := tenants.ParseRole(f.role)
	if err != nil {
		return fmt.Errorf("--%w", err)
	}
	password, generated := "", true
	if f.passwordStdin {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("--password-stdin: %w", err)
		}
		password, generated = strings.TrimRight(line, "\r\n"), false
	} else {
		password = base64.RawURLEncoding.EncodeToString(newSecret(18))
	}
	u, err := store.CreateUser(ctx, f.tenant, f.email, role, password)
	if err != nil {
		return err
	}
	j := userJSON(u)
	if generated {
		j["password"] = password
	}
	return writeJSON(out, j)
}

func disableUser(ctx context.Context, store *tenants.Store, f userFlags, out io.Writer) error {
	users, err := store.Users(ctx, f.tenant)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Email == tenants.NormalizeEmail(f.email) {
			if err := store.DisableUser(ctx, f.tenant, u.ID); err != nil {
				return err
			}
			return writeJSON(out, map[string]any{"id": u.ID, "email": u.Email, "disabled": true})
		}
	}
	return fmt.Errorf("user %s of tenant %s: %w", f.email, f.tenant, tenants.ErrNotFound)
}

func userJSON(u tenants.User) map[string]any {
	return map[string]any{"id": u.ID, "tenant": u.Tenant, "email": u.Email, "role": u.Role.String(),
		"created": u.Created.UTC().Format(time.RFC3339)}
}
