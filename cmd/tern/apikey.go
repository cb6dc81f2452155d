package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ternsms/tern/pipeline/tenants"
)

// runAPIKey manages API keys in PostgreSQL:
//
//	tern apikey create --tenant T [--scopes send,read,contacts,admin] [--name N]
//	tern apikey create --operator [--name N]
//	tern apikey revoke --id ID
//	tern apikey list --tenant T | --operator
//
// create prints the key once; tern keeps only its SHA-256. A revoked key
// stops working on every running instance within a second.
func runAPIKey(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "revoke" && args[0] != "list") {
		return errors.New("apikey: want create, revoke or list")
	}
	cmd := args[0]
	fs := flag.NewFlagSet("apikey "+cmd, flag.ContinueOnError)
	pgURL := fs.String("postgres-url", "", "PostgreSQL `URL`; empty uses the database of a running tern serve --dev ("+devPostgresURL+")")
	var tenant, name, scopes, id string
	var operator bool
	if cmd != "revoke" {
		fs.StringVar(&tenant, "tenant", "", "the tenant the key belongs to")
		fs.BoolVar(&operator, "operator", false, "an operator key instead: no tenant, admin scope, manages every tenant")
	} else {
		fs.StringVar(&id, "id", "", "the key's id (key_…), as list shows it")
	}
	if cmd == "create" {
		fs.StringVar(&scopes, "scopes", "", "what the key may do, comma-separated: send, read, contacts, admin; default send,read,contacts")
		fs.StringVar(&name, "name", "", "a label, e.g. the service using the key")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("apikey %s: unexpected arguments %q", cmd, fs.Args())
	}
	if cmd == "revoke" && id == "" {
		return errors.New("apikey revoke: --id is required")
	}
	if cmd != "revoke" && (tenant == "") == !operator {
		return fmt.Errorf("apikey %s: give --tenant or --operator, one of them", cmd)
	}
	sc, err := tenants.ParseScopes(splitList(scopes))
	if err != nil {
		return fmt.Errorf("--%w", err)
	}
	if operator {
		if scopes != "" && sc != tenants.ScopeAdmin {
			return errors.New("--scopes: an operator key has the admin scope only")
		}
		sc = tenants.ScopeAdmin
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	store, err := tenants.Open(ctx, pgURLOrDev(*pgURL), nil)
	if err != nil {
		return err
	}
	defer store.Close()
	switch cmd {
	case "create":
		k, secret, err := store.CreateKey(ctx, tenant, sc, name)
		if err != nil {
			return err
		}
		j := keyJSON(k)
		j["key"] = secret
		return writeJSON(out, j)
	case "revoke":
		if err := store.RevokeKey(ctx, "", id); err != nil {
			return err
		}
		return writeJSON(out, map[string]any{"id": id, "revoked": true})
	}
	keys, err := store.Keys(ctx, tenant)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := writeJSON(out, keyJSON(k)); err != nil {
			return err
		}
	}
	return nil
}

// keyJSON is a key as the command prints it: never the key or its hash.
func keyJSON(k tenants.Key) map[string]any {
	j := map[string]any{"id": k.ID, "tenant": k.Tenant, "scopes": nonNil(k.Scopes.Names()), "name": k.Name,
		"last4": k.Last4, "source": k.Source, "created": k.Created.UTC().Format(time.RFC3339)}
	if !k.Revoked.IsZero() {
		j["revoked"] = k.Revoked.UTC().Format(time.RFC3339)
	}
	return j
}
