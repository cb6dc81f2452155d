package pipeline

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline/pgtest"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// cutDatabase makes s's database refuse new connections and ends those
// it has, which is how an outage of PostgreSQL looks to the pipeline,
// until the returned function restores it. Other databases on the server
// go on.
func cutDatabase(ctx context.Context, t *testing.T, s *Store) (restore func()) {
	t.Helper()
	db := s.pool.Config().ConnConfig.Database
	admin, err := pgx.Connect(ctx, os.Getenv(pgtest.URLEnv))
	if err != nil {
		t.Fatal(err)
	}
	set := func(allow bool) error {
		_, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", pgx.Identifier{db}.Sanitize(), allow))
		return err
	}
	if err := set(false); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", db); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore = func() {
		if restored {
			return
		}
		restored = true
		if err := set(true); err != nil {
			t.Error(err)
		}
		admin.Close(context.WithoutCancel(ctx))
	}
	t.Cleanup(restore)
	return restore
}

// TestLedgerOutage cuts the pipeline's database while 20 submits are on
// the wire (the simulator answers after a second) and sends more messages
// during the outage, some with a send_at a few seconds ahead. The
// carrier's answers that arrive meanwhile are kept and written once the
// database is back, so none of those messages is in doubt or sent again;
// the messages whose intent or deferral could not be written are tried
// again by their actors. Every message ends final, sent once.
func TestLedgerOutage(t *testing.T) {
	t.Parallel()
	p := startPipeline(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 8, Latency: time.Second, ReceiptDelay: 10 * time.Millisecond},
		WithRetry(Backoff{Base: 50 * time.Millisecond, Max: time.Second, Attempts: 8}))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var reqs []Request
	var ids []string
	send := func(rs ...Request) {
		t.Helper()
		out := make([]Result, len(rs))
		if err := p.intake.Send(ctx, rs, out); err != nil {
			t.Fatal(err)
		}
		for _, r := range out {
			if r.Err != nil {
				t.Fatalf("send: %v", r.Err)
			}
			ids = append(ids, r.ID)
		}
		reqs = append(reqs, rs...)
	}
	msg := func(i int, sendAt time.Time) Request {
		return Request{TenantID: "shop", To: fmt.Sprintf("+1415555%04d", 1000+i), Body: fmt.Sprintf("Your order #%d has shipped", i), SendAt: sendAt}
	}

	const onWire, during, scheduled = 20, 10, 5
	for i := range onWire {
		send(msg(i, time.Time{}))
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		if n := p.sim.TotalSubmits(); n < onWire {
			return fmt.Errorf("%d of %d submits reached the carrier", n, onWire)
		}
		return nil
	})
	restore := cutDatabase(ctx, t, p.store)
	for i := range during {
		send(msg(onWire+i, time.Time{}))
	}
	sendAt := time.Now().Add(3 * time.Second)
	for i := range scheduled {
		send(msg(onWire+during+i, sendAt))
	}
	// The carrier's answers come while the database is away.
	time.Sleep(4 * time.Second)
	restore()

	twice := func() bool {
		return slices.ContainsFunc(reqs, func(r Request) bool { return p.sim.Submits(r.To, r.Body) > 1 })
	}
	evs := p.events(ctx, t, func(m map[string][]*recordv1.Event) bool { return allFinalEvents(m, ids) || twice() })
	for i, r := range reqs {
		if n := p.sim.Submits(r.To, r.Body); n != 1 {
			t.Errorf("message %d reached the carrier %d times", i, n)
		}
		if f := finalOf(evs[ids[i]]); f == nil || core.Status(f.Status) != core.StatusDelivered {
			t.Errorf("message %d final %v", i, f)
		}
	}
	inDoubt, err := NewLedger(p.store, nil).InDoubt(ctx)
	if err != nil || len(inDoubt) != 0 {
		t.Fatalf("in doubt after an outage of the database alone: %v, %v", inDoubt, err)
	}
}
