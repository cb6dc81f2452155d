package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ternsms/tern/api/frontdoor"
	"github.com/ternsms/tern/api/gateway"
	"github.com/ternsms/tern/core"
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

	// tlsListen is where SMPP over TLS is served, "" for nowhere; its
	// certificate is tlsCert/tlsKey, or the API's.
	tlsListen, tlsCert, tlsKey string
	// maxConns bounds the open connections; 0 keeps the gateway's default.
	maxConns int
	// maxConnsPerClient bounds one client's, when perClientSet.
	maxConnsPerClient int
	perClientSet      bool
}

func (f *smppFlags) flags(fs *flag.FlagSet) {
	f.devDefault = true
	fs.Func("smpp-listen", "address of the SMPP gateway for customers' ESMEs (default "+devSMPPAddr+" with --dev, off otherwise; \"off\" turns it off)", func(v string) error {
		f.listen, f.listenSet = v, true
		return nil
	})
	fs.StringVar(&f.tlsListen, "smpp-tls-listen", "", "address of the SMPP gateway over TLS, beside --smpp-listen; its certificate is --smpp-tls-cert, or --tls-cert. SIGHUP reloads it")
	fs.StringVar(&f.tlsCert, "smpp-tls-cert", "", "PEM certificate chain of --smpp-tls-listen (default --tls-cert)")
	fs.StringVar(&f.tlsKey, "smpp-tls-key", "", "PEM private key of --smpp-tls-cert (default --tls-key)")
	fs.IntVar(&f.maxConns, "smpp-max-connections", 1000, "connections the SMPP gateway keeps open at once, over both its addresses; more are closed at once")
	fs.Func("smpp-max-connections-per-client", "connections one client (an IPv4 address, or an IPv6 /64) may keep open to the SMPP gateway; more are closed at once (default 100; 0: no bound)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("want a number, 0 or more")
		}
		f.maxConnsPerClient, f.perClientSet = n, true
		return nil
	})
}

// tlsFiles returns the certificate and key of the TLS gateway: its own,
// or else the API's.
func (f *smppFlags) tlsFiles(api apiDoorFlags) (cert, key string) {
	if f.tlsCert != "" || f.tlsKey != "" {
		return f.tlsCert, f.tlsKey
	}
	return api.tlsCert, api.tlsKey
}

func (f *smppFlags) validate(api apiDoorFlags) error {
	// Configs built in code leave maxConns 0 for the gateway's default.
	if f.devDefault && f.maxConns < 1 {
		return fmt.Errorf("--smpp-max-connections %d: want at least 1", f.maxConns)
	}
	if f.tlsListen == "" {
		return nil
	}
	if cert, key := f.tlsFiles(api); cert == "" || key == "" {
		return errors.New("--smpp-tls-listen: needs a certificate and key: --smpp-tls-cert and --smpp-tls-key, or --tls-cert and --tls-key")
	}
	return nil
}

// options returns the gateway's options for TLS and the per-client cap,
// and the certificate to reload on SIGHUP (nil without TLS).
func (f *smppFlags) options(api apiDoorFlags) ([]gateway.Option, *frontdoor.Certificate, error) {
	var opts []gateway.Option
	if f.perClientSet {
		opts = append(opts, gateway.WithConnectionsPerClient(f.maxConnsPerClient))
	}
	if f.tlsListen == "" {
		return opts, nil, nil
	}
	certFile, keyFile := f.tlsFiles(api)
	cert, err := frontdoor.LoadCertificate(certFile, keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("--smpp-tls-listen: %w", err)
	}
	return append(opts, gateway.WithTLS(f.tlsListen, cert.ServerConfig())), cert, nil
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
	// cert is the TLS gateway's certificate, nil without one.
	cert *frontdoor.Certificate
}

// startGateway starts the SMPP gateway when it is on: its PostgreSQL
// tables beside the pipeline's, the dev account with --dev, the listener.
// Customers' ESMEs submit through the intake; the gateway stops before
// the intake does.
func (s *system) startGateway(ctx context.Context) error {
	c := s.c
	addr := c.smpp.addr(c.dev)
	if addr == "" {
		return nil
	}
	store, err := gateway.OpenStore(ctx, s.r.postgresURL, s.log)
	if err != nil {
		return err
	}
	s.st.onStop("smpp gateway store", func(context.Context) error { store.Close(); return nil })
	r := &smppRunning{}
	if c.dev {
		r.devAccountFile = filepath.Join(c.dataDir, "dev-smpp-account")
		if r.devAccount, err = devSMPPAccount(ctx, store, r.devAccountFile); err != nil {
			return fmt.Errorf("dev smpp account: %w", err)
		}
	}
	opts, cert, err := c.smpp.options(c.api)
	if err != nil {
		return err
	}
	r.cert = cert
	opts = append(opts, gateway.WithLogger(s.log), gateway.WithRegisterer(s.reg), gateway.WithQueries(s.reports, s.ids),
		gateway.WithCancels(s.cancels, s.ids), gateway.WithDeadLetters(s.deadLetters))
	srv, err := gateway.New(gateway.Config{Addr: addr, Kafka: c.kafka, MaxValidity: c.validity, MaxConnections: c.smpp.maxConns}, store, s.intake, opts...)
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	s.st.onStop("smpp gateway", srv.Close)
	r.srv = srv
	s.r.smpp = r
	return nil
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

// tlsCert returns the TLS gateway's certificate; nil when the gateway or
// its TLS address is off.
func (r *smppRunning) tlsCert() *frontdoor.Certificate {
	if r == nil {
		return nil
	}
	return r.cert
}
