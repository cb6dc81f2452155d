package main

import (
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// startBroker starts the in-process Kafka-protocol broker on addr
// (127.0.0.1:PORT), persisting to dir. With sync, every batch is fsynced
// before its produce is answered; without, the log is in the operating
// system's page cache when it is, as with Kafka's default flush settings.
func startBroker(addr, dir string, partitions int, sync bool) (*kfake.Cluster, error) {
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
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start kafka broker on %s: %w", addr, err)
	}
	return c, nil
}

// syncWritesUsage describes the broker's sync flag.
const syncWritesUsage = "fsync the log after every batch, before the produce is answered, so an acknowledged message survives a power loss too (slower; see bench/RESULTS.md)"
