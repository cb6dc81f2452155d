package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsUsage describes --metrics-listen.
const metricsUsage = "address of a listener serving only /metrics, e.g. 127.0.0.1:9100; empty serves /metrics on the API's port (--listen)"

// serveMetrics serves reg's /metrics: on the API's mux, or with
// --metrics-listen on a listener of its own, which then is the only place
// that serves it. It returns the address /metrics is served at, "" for
// the API's.
func serveMetrics(c serveConfig, apiMux *http.ServeMux, reg *prometheus.Registry, st *stack, log *slog.Logger) (string, error) {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if c.metricsListen == "" {
		apiMux.Handle("/metrics", h)
		return "", nil
	}
	ln, err := net.Listen("tcp", c.metricsListen)
	if err != nil {
		return "", fmt.Errorf("--metrics-listen: %w", err)
	}
	// The API's port answers /metrics 404, not with the dashboard's page.
	apiMux.Handle("/metrics", http.NotFoundHandler())
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics", "err", err)
		}
	}()
	st.onStop("metrics", func(ctx context.Context) error { return srv.Shutdown(ctx) })
	return ln.Addr().String(), nil
}
