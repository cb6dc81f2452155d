package webhooks

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternsms/tern/pipeline/pgtest"
)

// BenchmarkStatusEvents measures how many message.status events a
// second one healthy endpoint receives. "outbox" goes end to end: Emit
// into the outbox, claim, sign, POST over HTTP, record. Each iteration
// emits 1,000 events — 334 messages' submitted, delivered and a third
// status, which go in order per message — and waits until the endpoint
// has them all. "direct" is the baseline of the same run: the same
// bodies POSTed by as many workers straight through Client, with no
// outbox. The target is 100,000 a minute (1,667/s); see bench/RESULTS.md.
func BenchmarkStatusEvents(b *testing.B) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	defer srv.Close()
	url := pgtest.URL(b)
	b.Run("outbox", func(b *testing.B) { benchOutbox(b, url, srv.URL, &n) })
	b.Run("direct", func(b *testing.B) { benchDirect(b, srv.URL) })
}

const perIter = 1000

// statusBatch is iteration i's events.
func statusBatch(i int) []Event {
	evs := make([]Event, 0, perIter)
	for m := 0; len(evs) < perIter; m++ {
		for _, s := range []string{"submitted", "delivered", "read"} {
			if len(evs) < perIter {
				evs = append(evs, statusEvent("shop-1", fmt.Sprintf("m%d-%d", i, m), s, 0))
			}
		}
	}
	return evs
}

func benchOutbox(b *testing.B, url, endpoint string, n *atomic.Int64) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o, err := Open(ctx, url, Config{Client: ClientConfig{Allow: loopback}, Poll: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	if _, _, err := o.CreateEndpoint(ctx, "shop-1", endpoint, []string{MessageStatus}, ""); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { o.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	base, sent, iter := n.Load(), 0, 0
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		evs := statusBatch(iter)
		iter++
		if err := o.Emit(ctx, evs); err != nil {
			b.Fatal(err)
		}
		sent += len(evs)
		for n.Load()-base < int64(sent) {
			time.Sleep(time.Millisecond)
		}
	}
	b.ReportMetric(float64(sent)/time.Since(start).Seconds(), "events/s")
}

func benchDirect(b *testing.B, endpoint string) {
	c := NewClient(ClientConfig{Allow: loopback})
	workers := Config{}.withDefaults().Workers
	ctx, sent, iter := context.Background(), 0, 0
	start := time.Now()
	for b.Loop() {
		evs := statusBatch(iter)
		iter++
		ch := make(chan Event)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ev := range ch {
					body, _ := ev.body()
					h := http.Header{SignatureHeader: {Sign(time.Now(), body, "whsec_x")}, "Content-Type": {"application/json"}}
					if _, err := c.Post(ctx, endpoint, body, h); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for _, ev := range evs {
			ch <- ev
		}
		close(ch)
		wg.Wait()
		sent += len(evs)
	}
	b.ReportMetric(float64(sent)/time.Since(start).Seconds(), "events/s")
}
