package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ternsms/tern/pipeline"
)

// runKafka runs the Kafka-protocol broker on its own, for setups where
// several tern instances share one broker (tern serve --kafka-brokers).
func runKafka(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("kafka", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:9092", "address to listen on")
	dir := fs.String("data", "data", "directory for local state; the log goes to DATA/kafka")
	partitions := fs.Int("partitions", 16, "partitions of topics created without a count")
	sync := fs.Bool("sync-writes", false, syncWritesUsage)
	saslUser := fs.String("sasl-user", "", "require SASL: every client logs in as this user, with SCRAM-SHA-512 or SCRAM-SHA-256 (tern serve --kafka-sasl-user); empty: no SASL")
	saslPassword := fs.String("sasl-password", "", "the SASL user's password; empty reads $"+kafkaPasswordEnv+", which keeps it out of the process list")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var sasl *pipeline.SASL
	if *saslUser != "" {
		sasl = &pipeline.SASL{User: *saslUser, Password: cmp.Or(*saslPassword, os.Getenv(kafkaPasswordEnv))}
		if sasl.Password == "" {
			return fmt.Errorf("--sasl-user %s: no password (--sasl-password or $%s)", *saslUser, kafkaPasswordEnv)
		}
	}
	syscall.Umask(0o077) // the log is readable by its owner only
	b, err := startBroker(*listen, filepath.Join(*dir, "kafka"), *partitions, *sync, sasl)
	if err != nil {
		return err
	}
	defer b.Close()
	login := ""
	if sasl != nil {
		login = ", SASL/SCRAM login required"
	}
	fmt.Printf("kafka broker listening on %s (log in %s%s)\n", strings.Join(b.ListenAddrs(), ","), filepath.Join(*dir, "kafka"), login)
	<-ctx.Done()
	return nil
}
