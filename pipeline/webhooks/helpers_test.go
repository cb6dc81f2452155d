package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/ternsms/tern/pipeline/pgtest"
)

// clock is real time moved forward by skip.
type clock struct{ skip atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.skip.Load())) }
func (c *clock) forward(d time.Duration) { c.skip.Add(int64(d)) }

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// testOutbox opens an outbox on a fresh database that may post to
// 127.0.0.1 and retries within milliseconds.
func testOutbox(t *testing.T, ctx context.Context, c *clock, cfg Config) *Outbox {
	t.Helper()
	if cfg.Client.Allow == nil {
		cfg.Client.Allow = loopback
	}
	cfg.RetryBase, cfg.RetryMax, cfg.Poll = 20*time.Millisecond, 100*time.Millisecond, 20*time.Millisecond
	o, err := Open(ctx, pgtest.URL(t), cfg, WithClock(c.now), WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Close)
	return o
}

// runOutbox runs o's dispatcher until the test ends.
func runOutbox(t *testing.T, ctx context.Context, o *Outbox) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { o.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// received is one post a receiver got.
type received struct {
	ID, Type, Sig string
	Body          []byte
	Data          map[string]any
	Verified      bool
}

// receiver is a tenant's endpoint: it verifies every signature with its
// secret and answers what status says for the nth post.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	now    func() time.Time // the clock signatures are checked against
	got    []received
	status func(n int, r received) int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{status: func(int, received) int { return 200 }, now: time.Now}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p struct {
			ID   string         `json:"id"`
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		json.Unmarshal(b, &p)
		rc.mu.Lock()
		x := received{ID: r.Header.Get("Tern-Event-Id"), Type: r.Header.Get("Tern-Event-Type"), Sig: r.Header.Get(SignatureHeader), Body: b, Data: p.Data}
		x.Verified = rc.secret != "" && Verify(x.Sig, b, rc.secret, 5*time.Minute, rc.now()) == nil && p.ID == x.ID
		rc.got = append(rc.got, x)
		n := len(rc.got)
		rc.mu.Unlock()
		w.WriteHeader(rc.status(n, x))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) posts() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// waitPosts waits until rc got n posts.
func (rc *receiver) waitPosts(t *testing.T, n int) []received {
	t.Helper()
	var got []received
	testkit.Eventually(t, 30*time.Second, func() error {
		if got = rc.posts(); len(got) < n {
			return fmt.Errorf("%d posts, want %d", len(got), n)
		}
		return nil
	})
	return got
}
