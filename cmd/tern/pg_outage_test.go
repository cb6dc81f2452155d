package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/cmd/tern/internal/localsvc"
	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestPostgresOutage: `tern serve` on a PostgreSQL of the test's own,
// under 100 sends a second. PostgreSQL is stopped for 60 s, while submits
// are on the wire, and started again; tern is not restarted. Every
// accepted message ends final, none reaches the simulator twice, and the
// ledger holds none in doubt: a database error alone never makes a
// message in doubt, and no partition stops behind one whose writes failed
// (every 25th message has a send_at 3 s ahead, so its deferral may fail).
func TestPostgresOutage(t *testing.T) {
	const (
		rate   = 100 // sends a second
		before = 10 * time.Second
		outage = 60 * time.Second
		after  = 10 * time.Second
	)
	sim := smscsim.Config{Addr: "127.0.0.1:0", Seed: 27, DeliveredRatio: 0.9, UndeliveredRatio: 0.1,
		Latency: 200 * time.Millisecond, ReceiptDelay: 50 * time.Millisecond}
	c := newCluster(t, sim, "window=100")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pg := ownPostgres(ctx, t)
	c.pgURL = pg.url
	c.store.Close()
	var err error
	if c.store, err = pipeline.OpenStore(ctx, c.pgURL, nil); err != nil {
		t.Fatal(err)
	}
	inst := c.start("one")

	client := ternv1connect.NewMessageServiceClient(h2c(), "http://"+inst.api, bearer(c.key))
	loadCtx, stopLoad := context.WithCancel(ctx)
	loaded := make(chan []sent, 1)
	go func() { loaded <- steadyLoad(loadCtx, client, rate) }()
	time.Sleep(before)
	pg.stop(ctx, t)
	time.Sleep(outage)
	pg.start(ctx, t)
	time.Sleep(after)
	stopLoad()
	msgs := <-loaded
	if len(msgs) < rate*int((before+outage)/time.Second)/2 {
		t.Fatalf("only %d sends accepted: the load did not run through the outage", len(msgs))
	}

	c.waitFinal(ctx, len(msgs))
	if err := inst.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("tern is not running any more: %v", err)
	}
	inDoubt, err := pipeline.NewLedger(c.store, nil).InDoubt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if n := c.sim.Submits(m.to, m.body); n != 1 {
			t.Errorf("%s reached the simulator %d times", m.id, n)
		}
	}
	if len(inDoubt) > 0 {
		t.Errorf("%d messages in doubt after an outage of PostgreSQL alone", len(inDoubt))
	}
	t.Logf("%d messages accepted, all final, each sent once", len(msgs))
}

// steadyLoad sends rate unique messages a second to campaign "load", none
// with an idempotency key (the intake then needs no PostgreSQL), until
// ctx ends, and returns those tern accepted. Every 25th has a send_at 3 s
// ahead.
func steadyLoad(ctx context.Context, client ternv1connect.MessageServiceClient, rate int) []sent {
	var mu sync.Mutex
	var out []sent
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return out
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			req := &ternv1.SendRequest{To: fmt.Sprintf("+1415555%04d", 1000+i%9000), Body: fmt.Sprintf("Order #%d is on its way", 100000+i), CampaignId: "load"}
			if i%25 == 0 {
				req.SendAt = timestamppb.New(time.Now().Add(3 * time.Second))
			}
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			resp, err := client.Send(sctx, connect.NewRequest(req))
			if err != nil {
				return // not accepted: nothing to check
			}
			mu.Lock()
			out = append(out, sent{resp.Msg.Id, req.To, req.Body})
			mu.Unlock()
		})
	}
}

// privatePostgres is a PostgreSQL server the test alone uses, so that it
// may stop it: the one `make test` starts serves every other test.
type privatePostgres struct {
	cfg  localsvc.PostgresConfig
	proc *localsvc.Process
	url  string
	log  *slog.Logger
}

func ownPostgres(ctx context.Context, t *testing.T) *privatePostgres {
	t.Helper()
	port, err := localsvc.FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	p := &privatePostgres{
		cfg: localsvc.PostgresConfig{Dir: filepath.Join(searchableDir(t), "pg"), Port: port},
		log: testkit.Logger(t, slog.LevelWarn),
	}
	p.start(ctx, t)
	p.url = p.proc.URL()
	t.Cleanup(func() { p.proc.Stop(context.Background()) })
	return p
}

// start starts the server, on the same directory and port each time.
func (p *privatePostgres) start(ctx context.Context, t *testing.T) {
	t.Helper()
	proc, err := localsvc.StartPostgres(ctx, p.cfg, p.log)
	if errors.Is(err, localsvc.ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	p.proc = proc
}

// stop stops the server (a fast shutdown: sessions are cut).
func (p *privatePostgres) stop(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := p.proc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// searchableDir returns a temporary directory every user can reach, as
// the postgres user must when tests run as root.
func searchableDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
