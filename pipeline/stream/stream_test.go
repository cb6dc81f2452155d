package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ternsms/tern/pipeline/kafkatest"
)

// TestConsumeRetriesThenCommits: a batch whose handler fails is handed
// over again until it succeeds, then committed, so the group's next
// member reads nothing old.
func TestConsumeRetriesThenCommits(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	brokers := []string{kafkatest.Broker(t)}
	if err := EnsureTopic(ctx, brokers, Topic{Name: "t", Partitions: 2, Retention: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := EnsureTopic(ctx, brokers, Topic{Name: "t", Partitions: 2}); err != nil {
		t.Fatalf("creating an existing topic: %v", err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic("t"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range 10 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprint(i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	calls, seen := 0, map[string]int{}
	handle := func(_ context.Context, recs []*kgo.Record) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= 2 {
			return errors.New("not yet")
		}
		for _, r := range recs {
			seen[string(r.Value)]++
		}
		return nil
	}
	run := func(h Handler) (stop func()) {
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { Consume(cctx, Group{Brokers: brokers, Group: "g", Topics: []string{"t"}}, h); close(done) }()
		return func() { cancel(); <-done }
	}
	stop := run(handle)
	testkit.Eventually(t, 30*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 10 {
			return fmt.Errorf("handled %d of 10", len(seen))
		}
		return nil
	})
	stop()
	var again int
	stop = run(func(_ context.Context, recs []*kgo.Record) error {
		mu.Lock()
		again += len(recs)
		mu.Unlock()
		return nil
	})
	cl.ProduceSync(ctx, &kgo.Record{Value: []byte("new")})
	testkit.Eventually(t, 30*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if again == 0 {
			return errors.New("the new record not read yet")
		}
		return nil
	})
	stop()
	if again != 1 {
		t.Fatalf("the next member read %d records, want only the new one", again)
	}
}
