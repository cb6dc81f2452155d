package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/api/frontdoor"
)

// apiDoorFlags are the `tern serve` flags of the API's listener: TLS, the
// caps on open connections and the read timeout.
type apiDoorFlags struct {
	tlsCert, tlsKey   string
	maxConns          int
	maxConnsPerClient int
	readTimeout       time.Duration
}

func (f *apiDoorFlags) flags(fs *flag.FlagSet) {
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate chain of the API; with --tls-key the API speaks TLS only: HTTP/2 (gRPC, gRPC-Web, Connect) or HTTP/1.1 (Connect, gRPC-Web), chosen by ALPN. SIGHUP reloads it")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.IntVar(&f.maxConns, "max-connections", 10000, "connections the API keeps open at once; more are closed at once (0: no bound)")
	fs.IntVar(&f.maxConnsPerClient, "max-connections-per-client", 1000, "connections one client (an IPv4 address, or an IPv6 /64) may keep open to the API; more are closed at once (0: no bound)")
	fs.DurationVar(&f.readTimeout, "read-timeout", 30*time.Second, "how long a client may take to send one API request, headers and body (0: no bound)")
}

func (f *apiDoorFlags) validate() error {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key: give both or neither")
	}
	if err := (frontdoor.Limits{Total: f.maxConns, PerClient: f.maxConnsPerClient}).Validate(); err != nil {
		return fmt.Errorf("--max-connections, --max-connections-per-client: %w", err)
	}
	if f.readTimeout < 0 {
		return fmt.Errorf("--read-timeout %s: want 0 or more", f.readTimeout)
	}
	return nil
}

// listen opens the API's listener on addr, its connections capped and
// refusals counted in reg, and returns it with the server options for TLS
// and the read timeout, and the certificate to reload (nil without TLS).
func (f *apiDoorFlags) listen(addr string, reg prometheus.Registerer) (net.Listener, []api.ServerOption, *frontdoor.Certificate, error) {
	opts := []api.ServerOption{api.WithReadTimeout(f.readTimeout)}
	var cert *frontdoor.Certificate
	if f.tlsCert != "" {
		var err error
		if cert, err = frontdoor.LoadCertificate(f.tlsCert, f.tlsKey); err != nil {
			return nil, nil, nil, fmt.Errorf("--tls-cert: %w", err)
		}
		opts = append(opts, api.WithTLS(cert.ServerConfig()))
	}
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tern_api_connections_refused_total",
		Help: "API connections closed at once, by reason: total (--max-connections) or per_client (--max-connections-per-client).",
	}, []string{"reason"})
	reg.MustRegister(refused)
	total, perClient := refused.WithLabelValues("total"), refused.WithLabelValues("per_client")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("api listen: %w", err)
	}
	limiter := frontdoor.NewLimiter(frontdoor.Limits{Total: f.maxConns, PerClient: f.maxConnsPerClient},
		frontdoor.WithRefused(func(_ net.Addr, why error) {
			if errors.Is(why, frontdoor.ErrTooManyFromClient) {
				perClient.Inc()
			} else {
				total.Inc()
			}
		}))
	return limiter.Listener(ln), opts, cert, nil
}

// scheme is the API's URL scheme.
func (f *apiDoorFlags) scheme() string {
	if f.tlsCert != "" {
		return "https"
	}
	return "http"
}

// reloadOnHangup reloads the certificates that are not nil each time the
// process gets SIGHUP, until the stack stops. A pair that does not load
// is logged and the one loaded before stays in use. Without certificates
// SIGHUP keeps its default action.
func reloadOnHangup(st *stack, log *slog.Logger, maybe ...*frontdoor.Certificate) {
	var certs []*frontdoor.Certificate
	for _, c := range maybe {
		if c != nil {
			certs = append(certs, c)
		}
	}
	if len(certs) == 0 {
		return
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	st.goRun("certificate reload", func(ctx context.Context) error {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-hup:
			}
			for _, c := range certs {
				if err := c.Reload(); err != nil {
					log.Error("tls certificate not reloaded; the previous one stays in use", "err", err)
					continue
				}
				log.Info("tls certificate reloaded")
			}
		}
	})
}
