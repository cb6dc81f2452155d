package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/ternsms/tern/api/gateway"
	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
)

// devPostgresURL is the database `tern serve --dev` runs under DATA/postgres,
// as help texts name it.
const devPostgresURL = "postgres://tern:PASSWORD@127.0.0.1:15432/tern, the password from data/postgres/password"

// smppAccountFlags are the flags of one smpp-account command.
type smppAccountFlags struct {
	pgURL    string
	account  gateway.Account
	password string
	category string
	ips      []string
	numbers  []string
}

// flags defines cmd's flags: --postgres-url and --system-id for every
// command, the account's settings for add.
func (f *smppAccountFlags) flags(fs *flag.FlagSet, cmd string) {
	a := &f.account
	fs.StringVar(&f.pgURL, "postgres-url", "", "PostgreSQL `URL`; empty uses the database of a running tern serve --dev ("+devPostgresURL+")")
	fs.StringVar(&a.SystemID, "system-id", "", "the account's system_id, 1 to 15 characters")
	if cmd != "add" {
		return
	}
	fs.StringVar(&f.password, "password", "", "its password, 6 to 8 characters; empty generates one and prints it")
	fs.StringVar(&a.TenantID, "tenant", "", "the tenant its messages belong to")
	fs.IntVar(&a.BindLimit, "bind-limit", gateway.DefaultBindLimit, "sessions bound at once, over all instances")
	fs.Float64Var(&a.Throughput, "throughput", 0, "messages per second over all its binds, beyond which submits get ESME_RTHROTTLED; 0 for no cap")
	fs.StringVar(&f.category, "category", "transactional", "category of its messages: transactional, marketing or otp")
	fs.BoolVar(&a.Latin1, "dc0-latin1", false, "read data_coding 0 as Latin-1 instead of the GSM 03.38 alphabet")
	fs.IntVar(&a.MaxQueued, "max-queued", gateway.DefaultMaxQueued, "receipts and replies kept while it is not bound; beyond it the oldest expire")
	fs.Func("allow-ip", "a network (CIDR) or address binds may come from, repeatable or comma-separated; none allows any", func(v string) error {
		f.ips = append(f.ips, splitList(v)...)
		return nil
	})
	fs.Func("number", "a number or short code of the account, repeatable or comma-separated: replies to it go to the account", func(v string) error {
		f.numbers = append(f.numbers, splitList(v)...)
		return nil
	})
}

// runSMPPAccount manages the SMPP gateway's accounts in PostgreSQL:
//
//	tern smpp-account add --system-id ID --tenant T [--password P] [flags]
//	tern smpp-account list
//	tern smpp-account disable --system-id ID
//
// Without --postgres-url it works on the database of a running
// `tern serve --dev` (make run).
func runSMPPAccount(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list" && args[0] != "disable") {
		return errors.New("smpp-account: want add, list or disable")
	}
	cmd := args[0]
	fs := flag.NewFlagSet("smpp-account "+cmd, flag.ContinueOnError)
	var f smppAccountFlags
	f.flags(fs, cmd)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("smpp-account %s: unexpected arguments %q", cmd, fs.Args())
	}
	if f.password != "" {
		if err := gateway.ValidatePassword(f.password); err != nil {
			return fmt.Errorf("--password: %w", err)
		}
	}
	url := f.pgURL
	if url == "" {
		dev, err := localsvc.PostgresURL(localsvc.PostgresConfig{Dir: "data/postgres", Port: 15432})
		if err != nil {
			return err
		}
		url = dev
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	store, err := gateway.OpenStore(ctx, url, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	switch cmd {
	case "list":
		return listSMPPAccounts(ctx, store)
	case "disable":
		if f.account.SystemID == "" {
			return errors.New("smpp-account disable: --system-id is required")
		}
		if err := store.DisableAccount(ctx, f.account.SystemID); err != nil {
			return err
		}
		return printJSON(map[string]any{"system_id": f.account.SystemID, "disabled": true})
	}
	return addSMPPAccount(ctx, store, f)
}

// listSMPPAccounts prints every account, one JSON object a line.
func listSMPPAccounts(ctx context.Context, store *gateway.Store) error {
	accounts, err := store.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if err := printJSON(accountJSON(a)); err != nil {
			return err
		}
	}
	return nil
}

// addSMPPAccount adds the account of f and prints it, with its password
// when it was generated.
func addSMPPAccount(ctx context.Context, store *gateway.Store, f smppAccountFlags) error {
	a := f.account
	var err error
	if a.Category, err = gateway.ParseCategory(f.category); err != nil {
		return err
	}
	for _, ip := range f.ips {
		p, err := gateway.ParsePrefix(ip)
		if err != nil {
			return fmt.Errorf("--allow-ip %s: %w", ip, err)
		}
		a.AllowedIPs = append(a.AllowedIPs, p)
	}
	a.Numbers = f.numbers
	password, generated := f.password, f.password == ""
	if generated {
		password = gateway.NewPassword()
	}
	if err := store.AddAccount(ctx, a, password); err != nil {
		return err
	}
	out := accountJSON(a.WithDefaults())
	if generated {
		out["password"] = password
	}
	return printJSON(out)
}

// accountJSON is an account as the command prints it (never a hash).
func accountJSON(a gateway.Account) map[string]any {
	ips := make([]string, len(a.AllowedIPs))
	for i, p := range a.AllowedIPs {
		ips[i] = p.String()
	}
	return map[string]any{
		"system_id":   a.SystemID,
		"tenant":      a.TenantID,
		"bind_limit":  a.BindLimit,
		"allowed_ips": ips,
		"throughput":  a.Throughput,
		"category":    a.Category.String(),
		"dc0_latin1":  a.Latin1,
		"numbers":     nonNil(a.Numbers),
		"max_queued":  a.MaxQueued,
		"disabled":    a.Disabled,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
