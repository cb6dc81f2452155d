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
	pgURL := fs.String("postgres-url", "", "PostgreSQL `URL`; empty uses the database of a running tern serve --dev ("+devPostgresURL+")")
	var a gateway.Account
	var password, category string
	var ips, numbers []string
	fs.StringVar(&a.SystemID, "system-id", "", "the account's system_id, 1 to 15 characters")
	if cmd == "add" {
		fs.StringVar(&password, "password", "", "its password, 6 to 8 characters; empty generates one and prints it")
		fs.StringVar(&a.TenantID, "tenant", "", "the tenant its messages belong to")
		fs.IntVar(&a.BindLimit, "bind-limit", gateway.DefaultBindLimit, "sessions bound at once, over all instances")
		fs.Float64Var(&a.Throughput, "throughput", 0, "messages per second over all its binds, beyond which submits get ESME_RTHROTTLED; 0 for no cap")
		fs.StringVar(&category, "category", "transactional", "category of its messages: transactional, marketing or otp")
		fs.BoolVar(&a.Latin1, "dc0-latin1", false, "read data_coding 0 as Latin-1 instead of the GSM 03.38 alphabet")
		fs.IntVar(&a.MaxQueued, "max-queued", gateway.DefaultMaxQueued, "receipts and replies kept while it is not bound; beyond it the oldest expire")
		fs.Func("allow-ip", "a network (CIDR) or address binds may come from, repeatable or comma-separated; none allows any", func(v string) error {
			ips = append(ips, splitList(v)...)
			return nil
		})
		fs.Func("number", "a number or short code of the account, repeatable or comma-separated: replies to it go to the account", func(v string) error {
			numbers = append(numbers, splitList(v)...)
			return nil
		})
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("smpp-account %s: unexpected arguments %q", cmd, fs.Args())
	}
	if password != "" {
		if err := gateway.ValidatePassword(password); err != nil {
			return fmt.Errorf("--password: %w", err)
		}
	}
	url := *pgURL
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
	case "disable":
		if a.SystemID == "" {
			return errors.New("smpp-account disable: --system-id is required")
		}
		if err := store.DisableAccount(ctx, a.SystemID); err != nil {
			return err
		}
		return printJSON(map[string]any{"system_id": a.SystemID, "disabled": true})
	}
	if a.Category, err = gateway.ParseCategory(category); err != nil {
		return err
	}
	for _, ip := range ips {
		p, err := gateway.ParsePrefix(ip)
		if err != nil {
			return fmt.Errorf("--allow-ip %s: %w", ip, err)
		}
		a.AllowedIPs = append(a.AllowedIPs, p)
	}
	a.Numbers = numbers
	generated := password == ""
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
