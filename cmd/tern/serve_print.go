package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// printRunning tells the operator where each part of a started system
// listens, and the dev credentials with --dev.
func printRunning(w io.Writer, c serveConfig, r *running) {
	fmt.Fprintf(w, "tern is running\n")
	fmt.Fprintf(w, "  API (gRPC, gRPC-Web, Connect): %s://%s\n", c.api.scheme(), r.apiAddr)
	if c.dev {
		fmt.Fprintf(w, "  dev API key:                   %s  (also in %s)\n", r.devKey, filepath.Join(c.dataDir, "dev-api-key"))
	}
	fmt.Fprintf(w, "  Kafka:                         %s\n", strings.Join(r.brokers, ","))
	fmt.Fprintf(w, "  ClickHouse (native):           %s  database %s\n", r.clickhouseAddr, c.clickhouseDatabase)
	fmt.Fprintf(w, "  PostgreSQL:                    %s%s\n", redactURL(r.postgresURL), c.postgresPasswordNote())
	fmt.Fprintf(w, "  carriers:                      %s\n", strings.Join(r.smscAddrs, ", "))
	if r.smpp != nil {
		fmt.Fprintf(w, "  SMPP gateway:                  %s\n", r.smpp.srv.Addr())
		if a := r.smpp.srv.TLSAddr(); a != "" {
			fmt.Fprintf(w, "  SMPP gateway over TLS:         %s\n", a)
		}
		if r.smpp.devAccount != "" {
			fmt.Fprintf(w, "  dev SMPP account:              %s  (also in %s)\n", r.smpp.devAccount, r.smpp.devAccountFile)
		}
	}
	metrics := c.api.scheme() + "://" + r.apiAddr
	if r.metricsAddr != "" {
		metrics = "http://" + r.metricsAddr
	}
	fmt.Fprintf(w, "  metrics:                       %s/metrics\n", metrics)
	fmt.Fprintf(w, "Press Ctrl-C to stop.\n")
}
