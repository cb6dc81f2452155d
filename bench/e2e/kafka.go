package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

// firstSeen remembers, per key, when a tail first saw it. Each partition
// has its own map, touched only by that partition's reader until the
// tail has stopped.
type firstSeen struct {
	parts []map[string]time.Time
	count atomic.Int64
}

func newFirstSeen(partitions int) *firstSeen {
	f := &firstSeen{parts: make([]map[string]time.Time, partitions)}
	for i := range f.parts {
		f.parts[i] = map[string]time.Time{}
	}
	return f
}

// see records key's first sighting on partition p at t.
func (f *firstSeen) see(p int, key string, t time.Time) {
	if _, ok := f.parts[p][key]; !ok {
		f.parts[p][key] = t
		f.count.Add(1)
	}
}

// all merges the partitions' maps; call it after the tail stopped.
func (f *firstSeen) all() map[string]time.Time {
	out := make(map[string]time.Time, f.count.Load())
	for _, m := range f.parts {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// between counts sightings in [t0, t1).
func (f *firstSeen) between(t0, t1 time.Time) int {
	n := 0
	for _, m := range f.parts {
		for _, t := range m {
			if !t.Before(t0) && t.Before(t1) {
				n++
			}
		}
	}
	return n
}

// partitions returns how many partitions topic has.
func partitions(ctx context.Context, brokers []string, topic string) (int, error) {
	conn, err := kafka.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	ps, err := conn.ReadPartitions(topic)
	if err != nil {
		return 0, fmt.Errorf("partitions of %s: %w", topic, err)
	}
	return len(ps), nil
}

// tail reads every partition of topic from start (kafka.FirstOffset or
// kafka.LastOffset) until ctx ends, calling fn on each partition's own
// goroutine. The returned wait blocks until every reader stopped.
func tail(ctx context.Context, brokers []string, topic string, start int64, fn func(partition int, m kafka.Message)) (n int, wait func(), err error) {
	n, err = partitions(ctx, brokers, topic)
	if err != nil {
		return 0, nil, err
	}
	var wg sync.WaitGroup
	for p := range n {
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers:   brokers,
			Topic:     topic,
			Partition: p,
			MinBytes:  1,
			MaxBytes:  8 << 20,
			MaxWait:   100 * time.Millisecond,
		})
		if err := r.SetOffset(start); err != nil {
			r.Close()
			return 0, nil, err
		}
		wg.Go(func() {
			defer r.Close()
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					if !errors.Is(err, context.DeadlineExceeded) {
						log.Printf("tail %s/%d: %v", topic, p, err)
					}
					continue
				}
				fn(p, m)
			}
		})
	}
	return n, wg.Wait, nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// joined pairs each answered call with the time its id was seen later
// (consumed, or final) and returns the sorted latencies of the calls
// answered in [t0, t1), and how many of those were never seen.
func joined(calls []call, seen map[string]time.Time, t0, t1 time.Time) (lats []time.Duration, missing int) {
	for _, c := range calls {
		if c.done.Before(t0) || !c.done.Before(t1) {
			continue
		}
		t, ok := seen[c.id]
		if !ok {
			missing++
			continue
		}
		// A consumer may see a record before its producer's call returns.
		lats = append(lats, max(t.Sub(c.done), 0))
	}
	slices.Sort(lats)
	return lats, missing
}
