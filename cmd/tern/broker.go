package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ternsms/tern/pipeline"
)

// startBroker starts the in-process Kafka-protocol broker on addr
// (127.0.0.1:PORT), persisting to dir. With sync, every batch is fsynced
// before its produce is answered; without, the log is in the operating
// system's page cache when it is, as with Kafka's default flush settings.
// With sasl, every client must log in as that user, with SCRAM-SHA-256 or
// SCRAM-SHA-512.
func startBroker(addr, dir string, partitions int, sync bool, sasl *pipeline.SASL) (*kfake.Cluster, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("kafka listen address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return nil, fmt.Errorf("kafka listen port %q: %w", p, err)
	}
	listen := func(network, _ string) (net.Listener, error) {
		return net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ListenFn(listen),
		kfake.DataDir(dir),
		kfake.DefaultNumPartitions(partitions),
	}
	if sync {
		opts = append(opts, kfake.SyncWrites())
	}
	// The broker's users are the flags' only. The broker saves its users
	// beside its log and, started again, would put the saved ones in place
	// of those given.
	if err := os.Remove(filepath.Join(dir, "sasl.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("kafka broker users: %w", err)
	}
	if sasl != nil {
		opts = append(opts, kfake.EnableSASL(),
			kfake.Superuser(pipeline.ScramSHA256, sasl.User, sasl.Password),
			kfake.Superuser(pipeline.ScramSHA512, sasl.User, sasl.Password))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start kafka broker on %s: %w", addr, err)
	}
	return c, nil
}

// syncWritesUsage describes the broker's sync flag.
const syncWritesUsage = "fsync the log after every batch, before the produce is answered, so an acknowledged message survives a power loss too (slower; see bench/RESULTS.md)"
