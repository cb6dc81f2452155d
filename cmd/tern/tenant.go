package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ternsms/tern/pipeline/tenants"
)

// runTenant manages tenants in PostgreSQL:
//
//	tern tenant create --id ID [--name NAME]
//	tern tenant list
//
// Without --postgres-url it works on the database of a running
// `tern serve --dev` (make run). Each tenant is printed as one JSON line.
func runTenant(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list") {
		return errors.New("tenant: want create or list")
	}
	cmd := args[0]
	fs := flag.NewFlagSet("tenant "+cmd, flag.ContinueOnError)
	pgURL := fs.String("postgres-url", "", "PostgreSQL `URL`; empty uses the database of a running tern serve --dev ("+devPostgresURL+")")
	var t tenants.Tenant
	if cmd == "create" {
		fs.StringVar(&t.ID, "id", "", "the tenant's id: 1 to 63 lower-case letters, digits, . _ and -")
		fs.StringVar(&t.Name, "name", "", "its name, which texts about consent start with; default the id")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("tenant %s: unexpected arguments %q", cmd, fs.Args())
	}
	if cmd == "create" {
		if err := tenants.ValidateID(t.ID); err != nil {
			return fmt.Errorf("--%w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	store, err := tenants.Open(ctx, pgURLOrDev(*pgURL), nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if cmd == "create" {
		if t, err = store.CreateTenant(ctx, t); err != nil {
			return err
		}
		return writeJSON(out, tenantJSON(t))
	}
	list, err := store.Tenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range list {
		if err := writeJSON(out, tenantJSON(t)); err != nil {
			return err
		}
	}
	return nil
}

func tenantJSON(t tenants.Tenant) map[string]any {
	return map[string]any{"id": t.ID, "name": t.Name, "source": t.Source, "created": t.Created.UTC().Format(time.RFC3339)}
}

func pgURLOrDev(url string) string {
	if url == "" {
		return devPostgresURL
	}
	return url
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
