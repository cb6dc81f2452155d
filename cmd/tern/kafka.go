package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
)

// runKafka runs the Kafka-protocol broker on its own, for setups where
// several tern instances share one broker (tern serve --kafka-brokers).
func runKafka(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("kafka", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:9092", "address to listen on")
	dir := fs.String("data", "data", "directory for local state; the log goes to DATA/kafka")
	partitions := fs.Int("partitions", 16, "partitions of topics created without a count")
	sync := fs.Bool("sync-writes", false, syncWritesUsage)
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := startBroker(*listen, filepath.Join(*dir, "kafka"), *partitions, *sync)
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Printf("kafka broker listening on %s (log in %s)\n", strings.Join(b.ListenAddrs(), ","), filepath.Join(*dir, "kafka"))
	<-ctx.Done()
	return nil
}
