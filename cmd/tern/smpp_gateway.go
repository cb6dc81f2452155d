package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ternsms/tern/api/gateway"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/pipeline"
)

// devSMPPAddr is where `tern serve --dev` listens for SMPP customers.
const devSMPPAddr = "127.0.0.1:2775"

// smppFlags are the `tern serve` flags of the SMPP gateway.
type smppFlags struct {
	listen    string
	listenSet bool
	// devDefault: the config came from the command line, where --dev
	// turns the gateway on at devSMPPAddr unless told otherwise. Configs
	// built in code (tests) turn it on only by setting listen.
	devDefault bool
}

func (f *smppFlags) flags(fs *flag.FlagSet) {
	f.devDefault = true
	fs.Func("smpp-listen", "address of the SMPP gateway for customers' ESMEs (default "+devSMPPAddr+" with --dev, off otherwise; \"off\" turns it off)", func(v string) error {
		f.listen, f.listenSet = v, true
		return nil
	})
}

// addr is where the gateway listens, "" when it is off.
func (f *smppFlags) addr(dev bool) string {
	switch {
	case f.listen == "off":
		return ""
	case f.listenSet || f.listen != "":
		return f.listen
	case dev && f.devDefault:
		return devSMPPAddr
	}
	return ""
}

// smppRunning is a started gateway.
type smppRunning struct {
	srv *gateway.Server
	// devAccount is system_id:password of the --dev account, and
	// devAccountFile where it is written.
	devAccount, devAccountFile string
}

// startGateway starts the SMPP gateway when it is on: its PostgreSQL
// tables beside the pipeline's, the dev account with --dev, the listener.
// It stops before the intake it feeds.
func startGateway(ctx context.Context, c serveConfig, st *stack, pgURL string, intake *pipeline.Intake, reports gateway.Reports, ids gateway.IDChecker, cancels gateway.Canceler, dead gateway.DeadLetters, reg prometheus.Registerer, log *slog.Logger) (*smppRunning, error) {
	addr := c.smpp.addr(c.dev)
	if addr == "" {
		return nil, nil
	}
	store, err := gateway.OpenStore(ctx, pgURL, log)
	if err != nil {
		return nil, err
	}
	st.onStop("smpp gateway store", func(context.Context) error { store.Close(); return nil })
	r := &smppRunning{}
	if c.dev {
		r.devAccountFile = filepath.Join(c.dataDir, "dev-smpp-account")
		if r.devAccount, err = devSMPPAccount(ctx, store, r.devAccountFile); err != nil {
			return nil, fmt.Errorf("dev smpp account: %w", err)
		}
	}
	srv, err := gateway.New(gateway.Config{Addr: addr, Kafka: c.kafka, MaxValidity: c.validity}, store, intake,
		gateway.WithLogger(log), gateway.WithRegisterer(reg), gateway.WithQueries(reports, ids), gateway.WithCancels(cancels, ids),
		gateway.WithDeadLetters(dead))
	if err != nil {
		return nil, err
	}
	if err := srv.Start(ctx); err != nil {
		return nil, err
	}
	st.onStop("smpp gateway", srv.Close)
	r.srv = srv
	return r, nil
}

// devSMPPAccount makes sure the dev account of DATA/dev-smpp-account
// (system_id:password, created on first use) exists for tenant "dev".
func devSMPPAccount(ctx context.Context, store *gateway.Store, file string) (string, error) {
	creds, err := readOrCreate(file, func() string { return "dev:" + gateway.NewPassword() })
	if err != nil {
		return "", err
	}
	id, pw, ok := strings.Cut(creds, ":")
	if !ok {
		return "", fmt.Errorf("%s: want system_id:password", file)
	}
	if err := os.Chmod(file, 0o600); err != nil {
		return "", err
	}
	a := gateway.Account{SystemID: id, TenantID: "dev", Category: core.CategoryTransactional}
	return creds, store.PutAccount(ctx, a, pw)
}
