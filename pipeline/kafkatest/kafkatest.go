// Package kafkatest starts the in-process Kafka-protocol broker for tests:
// a real broker spoken to over TCP on loopback, not a stand-in.
package kafkatest

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker starts a one-node broker on a free loopback port, stopped when
// the test ends, and returns its address.
func Broker(t testing.TB, opts ...kfake.Opt) string {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatalf("start kafka broker: %v", err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}
