package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ternsms/tern/pipeline/storeevents"
	"github.com/ternsms/tern/pipeline/tenants"
)

// runStoreSecret sets a tenant's store platform webhook secret in
// PostgreSQL:
//
//	tern store-secret --tenant ID --platform shopify|woocommerce --secret S [--keep-previous]
//
// Without --postgres-url it works on the database of a running
// `tern serve --dev` (make run). It prints the path the platform posts
// its webhooks to.
func runStoreSecret(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("store-secret", flag.ContinueOnError)
	pgURL := fs.String("postgres-url", "", "PostgreSQL `URL`; empty uses the database of a running tern serve --dev ("+devPostgresURL+")")
	tenant := fs.String("tenant", "", "the tenant whose store signs the webhooks")
	platform := fs.String("platform", storeevents.Shopify, "shopify or woocommerce")
	secret := fs.String("secret", "", "the signing secret: Shopify's webhook or app client secret, or the WooCommerce webhook's secret (8 to 255 bytes)")
	keep := fs.Bool("keep-previous", false, "keep the current secret valid beside the new one, during a rotation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := tenants.ValidateID(*tenant); err != nil {
		return errors.New("--tenant: 1 to 63 lower-case letters, digits, . _ and -")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	store, err := storeevents.OpenSecretStore(ctx, pgURLOrDev(*pgURL))
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.SetSecret(ctx, *tenant, *platform, *secret, *keep); err != nil {
		var fe *storeevents.FieldError
		if errors.As(err, &fe) {
			return fmt.Errorf("--%s: %s", fe.Field, fe.Reason)
		}
		return err
	}
	return writeJSON(out, map[string]string{"tenant": *tenant, "platform": *platform, "webhook_path": "/webhooks/" + *platform + "/" + *tenant})
}
