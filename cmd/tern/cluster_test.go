package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/testkit"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/pgtest"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

var (
	buildOnce sync.Once
	ternBin   string
	buildErr  error
)

// ternBinary builds the tern command once per test run.
func ternBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tern-bin")
		if err != nil {
			buildErr = err
			return
		}
		ternBin = filepath.Join(dir, "tern")
		out, err := exec.Command("go", "build", "-o", ternBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return ternBin
}

// cluster is what several tern processes share: a broker, PostgreSQL,
// ClickHouse, the simulator SMSC, a tenant and its key.
type cluster struct {
	t       *testing.T
	bin     string
	dir     string
	brokers string
	pgURL   string
	ch      analytics.Config
	sim     *smscsim.Server
	simCfg  smscsim.Config
	key     string
	carrier string
	flags   []string // more `tern serve` flags
	store   *pipeline.Store
	reports *analytics.Store
	broker  *exec.Cmd
}

func newCluster(t *testing.T, simCfg smscsim.Config, carrierQuery string) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: ternBinary(t), dir: t.TempDir(), pgURL: pgtest.URL(t), ch: chtest.Config(t), simCfg: simCfg}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The standalone broker: `tern kafka`, fsyncing its log as a broker
	// shared by instances would, on a port of its own choosing.
	brokerLog := filepath.Join(c.dir, "broker.log")
	blog, err := os.Create(brokerLog)
	if err != nil {
		t.Fatal(err)
	}
	c.broker = exec.Command(c.bin, "kafka", "--listen", "127.0.0.1:0", "--data", filepath.Join(c.dir, "broker"), "--sync-writes")
	c.broker.Stdout, c.broker.Stderr = blog, blog
	if err := c.broker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.broker.Process.Kill()
		c.broker.Wait()
		blog.Close()
		if t.Failed() {
			b, _ := os.ReadFile(brokerLog)
			t.Logf("broker log (tail):\n%s", tail(string(b), 40))
		}
	})
	c.brokers = printedAddr(t, brokerLog, "kafka broker listening on ")

	sim, err := smscsim.New(simCfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	c.sim = sim
	c.carrier = "sim=smpp://tern:pw@" + sim.Addr() + "?" + carrierQuery

	c.key = newAPIKey()
	c.writeConfig("")

	if c.store, err = pipeline.OpenStore(ctx, c.pgURL, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.store.Close)
	if c.reports, err = analytics.Open(ctx, c.ch); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.reports.Close() })
	return c
}

// writeConfig writes the instances' config file: one tenant, "shop",
// with extra YAML appended to its entry.
func (c *cluster) writeConfig(tenantExtra string) {
	c.t.Helper()
	idKey := filepath.Join(c.dir, "id-key")
	if err := os.WriteFile(idKey, []byte("00112233445566778899aabbccddeeff"), 0o600); err != nil {
		c.t.Fatal(err)
	}
	yaml := fmt.Sprintf("tenants:\n  - id: shop\n    api_key_sha256: [%q]\n%sid_key_file: %s\n", api.KeyHash(c.key), tenantExtra, idKey)
	if err := os.WriteFile(filepath.Join(c.dir, "tern.yaml"), []byte(yaml), 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// instance is one `tern serve` process.
type instance struct {
	name string
	api  string
	cmd  *exec.Cmd
	log  string // what the instance printed: its stdout and stderr
}

func (c *cluster) start(name string) *instance {
	c.t.Helper()
	// A fresh log per start: addresses are read from what this start
	// printed.
	in := &instance{name: name, log: filepath.Join(c.dir, fmt.Sprintf("%s-%d.log", name, time.Now().UnixNano()))}
	logf, err := os.Create(in.log)
	if err != nil {
		c.t.Fatal(err)
	}
	in.cmd = exec.Command(c.bin, "serve",
		"--data", filepath.Join(c.dir, name),
		"--config", filepath.Join(c.dir, "tern.yaml"),
		"--listen", "127.0.0.1:0",
		"--kafka-brokers", c.brokers,
		"--kafka-partitions", "8",
		"--clickhouse-addr", c.ch.Addr,
		"--clickhouse-database", c.ch.Database,
		"--postgres-url", c.pgURL,
		"--log-level", "warn",
	)
	if c.carrier != "" {
		in.cmd.Args = append(in.cmd.Args, "--carrier", c.carrier)
	}
	in.cmd.Args = append(in.cmd.Args, c.flags...)
	in.cmd.Stdout, in.cmd.Stderr = logf, logf
	if err := in.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() {
		in.cmd.Process.Kill()
		in.cmd.Wait()
		logf.Close()
		if c.t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			c.t.Logf("%s log (tail):\n%s", name, tail(string(b), 40))
		}
	})
	in.api = strings.TrimPrefix(printedAddr(c.t, in.log, "  API (gRPC, gRPC-Web, Connect): "), "http://")
	testkit.Eventually(c.t, time.Minute, func() error {
		resp, err := http.Get("http://" + in.api + "/metrics")
		if err != nil {
			return fmt.Errorf("%s did not start: %w", name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s did not start: /metrics: %s", name, resp.Status)
		}
		return nil
	})
	return in
}

// printedAddr waits up to a minute for a process to print a line
// starting with prefix into the file at path, and returns the rest of it
// up to the first space.
func printedAddr(t *testing.T, path, prefix string) string {
	t.Helper()
	var addr string
	testkit.Eventually(t, time.Minute, func() error {
		b, _ := os.ReadFile(path)
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(line, prefix); ok && strings.HasSuffix(line, "\n") {
				addr, _, _ = strings.Cut(strings.TrimSpace(rest), " ")
				return nil
			}
		}
		return fmt.Errorf("%s: no line starting %q; it holds:\n%s", path, prefix, tail(string(b), 20))
	})
	return addr
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	return strings.Join(parts[max(0, len(parts)-lines):], "\n")
}

// kill ends an instance with SIGKILL: no shutdown, no unbind, no flush.
func (in *instance) kill() {
	in.cmd.Process.Signal(syscall.SIGKILL)
	in.cmd.Wait()
}

// stop ends an instance gracefully.
func (in *instance) stop(t *testing.T) {
	in.cmd.Process.Signal(syscall.SIGTERM)
	if err := in.cmd.Wait(); err != nil {
		t.Fatalf("%s: %v", in.name, err)
	}
}

// sent is one message the load accepted.
type sent struct{ id, to, body string }

// load sends n unique messages to whichever instance answers, retrying
// each with its idempotency key until some instance accepts it. onAccepted
// sees the running count.
func (c *cluster) load(ctx context.Context, n int, targets func() []string, onAccepted func(int64)) []sent {
	return c.loadNamed(ctx, "", n, targets, onAccepted)
}

// loadNamed is load with texts and keys distinct per name.
func (c *cluster) loadNamed(ctx context.Context, name string, n int, targets func() []string, onAccepted func(int64)) []sent {
	out := make([]sent, n)
	var accepted atomic.Int64
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for w := range 32 {
		wg.Go(func() {
			clients := map[string]ternv1connect.MessageServiceClient{}
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				to := fmt.Sprintf("+1415555%04d", i%9000+1000)
				body := fmt.Sprintf("Order #%d%s is on its way (%d)", 100000+i, name, w)
				req := &ternv1.SendRequest{To: to, Body: body, CampaignId: "load", IdempotencyKey: fmt.Sprintf("k-%s%d", name, i)}
				resp, err := c.sendAnywhere(ctx, clients, targets, i, req)
				if err != nil {
					return
				}
				out[i] = sent{resp.Id, to, body}
				onAccepted(accepted.Add(1))
			}
		})
	}
	wg.Wait()
	return out
}

// sendAnywhere sends req, with its idempotency key, to the instances of
// targets in turn, starting at the i-th, until one accepts it. It gives up
// when ctx ends or an instance refuses the request itself
// (InvalidArgument, AlreadyExists). clients holds the caller's clients
// by address.
func (c *cluster) sendAnywhere(ctx context.Context, clients map[string]ternv1connect.MessageServiceClient, targets func() []string, i int, req *ternv1.SendRequest) (*ternv1.SendResponse, error) {
	for attempt := 0; ; attempt++ {
		ts := targets()
		if len(ts) == 0 {
			if !pause(ctx) {
				return nil, ctx.Err()
			}
			continue
		}
		addr := ts[(i+attempt)%len(ts)]
		cl := clients[addr]
		if cl == nil {
			cl = ternv1connect.NewMessageServiceClient(h2c(), "http://"+addr, bearer(c.key))
			clients[addr] = cl
		}
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		resp, err := cl.Send(sctx, connect.NewRequest(req))
		cancel()
		if err == nil {
			return resp.Msg, nil
		}
		if code := connect.CodeOf(err); code == connect.CodeInvalidArgument || code == connect.CodeAlreadyExists {
			return nil, err
		}
		if !pause(ctx) {
			return nil, ctx.Err()
		}
	}
}

// pause waits 50 ms, or less when ctx ends first (then false).
func pause(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(50 * time.Millisecond):
		return true
	}
}

// waitFinal waits until every message of the load is final in ClickHouse.
func (c *cluster) waitFinal(ctx context.Context, n int) analytics.CampaignStats {
	c.t.Helper()
	var st analytics.CampaignStats
	testkit.Eventually(c.t, 3*time.Minute, func() error {
		var err error
		st, err = c.reports.CampaignStats(ctx, "shop", "load")
		if err != nil {
			return err
		}
		if st.Accepted != int64(n) || st.Queued+st.Submitted != 0 {
			return fmt.Errorf("stats %+v, want %d accepted, all final", st, n)
		}
		return nil
	})
	return st
}

// checkNoLossNoDuplicates checks the acceptance's guarantees: every
// accepted text reached the simulator, more than once only when the
// ledger reported it in doubt; with the fail policy, never more than once
// and in-doubt messages FAILED with "outcome unknown".
func (c *cluster) checkNoLossNoDuplicates(ctx context.Context, msgs []sent, failPolicy bool, bound int) {
	c.t.Helper()
	inDoubt, err := pipeline.NewLedger(c.store, nil).InDoubt(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	if len(inDoubt) >= bound {
		c.t.Fatalf("%d messages in doubt, want fewer than window × binds = %d", len(inDoubt), bound)
	}
	dups := 0
	for _, m := range msgs {
		n := c.sim.Submits(m.to, m.body)
		_, doubted := inDoubt[m.id]
		switch {
		case failPolicy && n > 1:
			c.t.Fatalf("%s sent %d times under the fail policy", m.id, n)
		case failPolicy && doubted:
			v, err := c.reports.Message(ctx, "shop", m.id)
			if err != nil || v.Status != 7 || v.Reason != "outcome unknown" {
				c.t.Fatalf("in-doubt %s = %+v, %v; want FAILED, outcome unknown", m.id, v, err)
			}
		case n == 0:
			c.t.Fatalf("%s (%q) never reached the carrier", m.id, m.body)
		case n > 1 && !doubted:
			c.t.Fatalf("%s sent %d times but never reported in doubt", m.id, n)
		case n > 1:
			dups++
		}
	}
	c.t.Logf("%d messages in doubt, %d sent twice", len(inDoubt), dups)
}

func crashSim() smscsim.Config {
	return smscsim.Config{Addr: "127.0.0.1:0", Seed: 9, DeliveredRatio: 0.9, UndeliveredRatio: 0.1,
		Latency: 2 * time.Millisecond, ReceiptDelay: 50 * time.Millisecond}
}

// TestKillNineAndRestart: 20,000 sends, the instance killed with SIGKILL
// mid-run and restarted; nothing lost, duplicates only among in-doubt
// messages — and none with the fail policy.
func TestKillNineAndRestart(t *testing.T) {
	for _, policy := range []string{"resubmit", "fail"} {
		t.Run(policy, func(t *testing.T) {
			const n, window = 20000, 100
			c := newCluster(t, crashSim(), "window=100&in_doubt="+policy)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			var mu sync.Mutex
			inst := c.start("first")
			current := []string{inst.api}
			targets := func() []string { mu.Lock(); defer mu.Unlock(); return current }
			var killed atomic.Bool
			restarted := make(chan struct{})
			msgs := c.load(ctx, n, targets, func(k int64) {
				if k == n*2/5 && killed.CompareAndSwap(false, true) {
					go func() {
						defer close(restarted)
						inst.kill()
						time.Sleep(500 * time.Millisecond)
						next := c.start("restarted")
						mu.Lock()
						current = []string{next.api}
						mu.Unlock()
					}()
				}
			})
			if !killed.Load() {
				t.Fatal("the instance was never killed")
			}
			<-restarted
			c.waitFinal(ctx, n)
			c.checkNoLossNoDuplicates(ctx, msgs, policy == "fail", window)
		})
	}
}

// TestThreeInstancesOneKilled: three instances share one standalone
// broker; one is killed mid-run and its partitions move to the others.
func TestThreeInstancesOneKilled(t *testing.T) {
	const n, window = 20000, 100
	c := newCluster(t, crashSim(), "window=100")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	insts := []*instance{c.start("one"), c.start("two"), c.start("three")}
	var mu sync.Mutex
	alive := []string{insts[0].api, insts[1].api, insts[2].api}
	var killed atomic.Bool
	msgs := c.load(ctx, n, func() []string { mu.Lock(); defer mu.Unlock(); return alive }, func(k int64) {
		if k == n*2/5 && killed.CompareAndSwap(false, true) {
			mu.Lock()
			alive = []string{insts[0].api, insts[2].api}
			mu.Unlock()
			insts[1].kill()
		}
	})
	if !killed.Load() {
		t.Fatal("no instance was killed")
	}
	c.waitFinal(ctx, n)
	// Each surviving instance's window bounds what it had in doubt; the
	// killed one left at most its own window.
	c.checkNoLossNoDuplicates(ctx, msgs, false, window)
}

// TestReceiptOnAnotherInstance: instance A submits; it stops before the
// carrier's receipts come; they arrive on instance B's bind, and B joins
// them to A's messages through the shared ledger.
func TestReceiptOnAnotherInstance(t *testing.T) {
	const n = 300
	sim := crashSim()
	sim.ReceiptDelay = 4 * time.Second
	c := newCluster(t, sim, "window=100")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a := c.start("a")
	msgs := c.load(ctx, n, func() []string { return []string{a.api} }, func(int64) {})
	testkit.Eventually(t, time.Minute, func() error {
		var accepted int
		if err := c.store.Pool().QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE state = 2").Scan(&accepted); err != nil {
			return err
		}
		if accepted != n {
			return fmt.Errorf("%d of %d accepted by the carrier", accepted, n)
		}
		return nil
	})
	binds := c.sim.Stats().Binds
	c.start("b")
	testkit.Eventually(t, 30*time.Second, func() error {
		if got := c.sim.Stats().Binds; got <= binds {
			return fmt.Errorf("b has not bound (%d binds)", got)
		}
		return nil
	})
	a.stop(t)
	st, err := c.reports.CampaignStats(ctx, "shop", "load")
	if err != nil {
		t.Fatal(err)
	}
	if done := st.Delivered + st.Undelivered + st.Expired + st.Rejected; done != 0 {
		t.Fatalf("%d receipts were joined before a stopped; the test proves nothing", done)
	}
	final := c.waitFinal(ctx, n)
	var want analytics.CampaignStats
	for _, m := range msgs {
		switch c.simCfg.Outcome(m.to, m.body) {
		case "DELIVRD":
			want.Delivered++
		case "UNDELIV":
			want.Undelivered++
		}
	}
	if final.Delivered != want.Delivered || final.Undelivered != want.Undelivered {
		t.Fatalf("final %+v, want %d delivered and %d undelivered", final, want.Delivered, want.Undelivered)
	}
}

// TestScheduledAndQuietHoursAcrossRestart: a message with send_at and a
// marketing message held by quiet hours both wait durably; the instance is
// killed and restarted in between; both go out within a second of their
// time.
func TestScheduledAndQuietHoursAcrossRestart(t *testing.T) {
	c := newCluster(t, crashSim(), "window=100")
	// The recipient (+1 415) is in America/Los_Angeles. Its marketing
	// window opens at the next minute boundary at least 15 s away.
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	opens := time.Now().Add(15 * time.Second).Truncate(time.Minute).Add(time.Minute)
	local := opens.In(la)
	closes := local.Add(2 * time.Hour)
	c.writeConfig(fmt.Sprintf("    quiet_hours:\n      countries:\n        US: \"%02d:%02d-%02d:%02d\"\n",
		local.Hour(), local.Minute(), closes.Hour(), closes.Minute()))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	inst := c.start("before")
	client := ternv1connect.NewMessageServiceClient(h2c(), "http://"+inst.api, bearer(c.key))
	promo, err := client.Send(ctx, connect.NewRequest(&ternv1.SendRequest{
		To: "+14155552671", Body: "Weekend offer: 15% off with code WEEKEND", CampaignId: "load",
		Category: ternv1.Category_CATEGORY_MARKETING,
	}))
	if err != nil {
		t.Fatal(err)
	}
	later, err := client.Send(ctx, connect.NewRequest(&ternv1.SendRequest{
		To: "+14155552672", Body: "Your pickup window starts now", CampaignId: "load",
		SendAt: timestamppb.New(opens),
	}))
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		waiting, err := c.store.Scheduled(ctx)
		if err != nil {
			return err
		}
		if waiting["quiet_hours"] != 1 || waiting["send_at"] != 1 {
			return fmt.Errorf("waiting %v, want one for quiet hours and one for send_at", waiting)
		}
		return nil
	})
	inst.kill()
	c.start("after")
	if time.Now().After(opens) {
		t.Fatal("the restart took past the scheduled time; the test proves nothing")
	}
	c.waitFinal(ctx, 2)
	for _, id := range []string{promo.Msg.Id, later.Msg.Id} {
		v, err := c.reports.Message(ctx, "shop", id)
		if err != nil {
			t.Fatal(err)
		}
		if v.SubmittedAt.Before(opens) || v.SubmittedAt.After(opens.Add(time.Second)) {
			t.Fatalf("%s submitted at %v, want within a second after %v", id, v.SubmittedAt, opens)
		}
		t.Logf("%s went out %v after its time", id, v.SubmittedAt.Sub(opens))
	}
}

// TestFailover: the primary carrier stops answering; its breaker opens and
// the failover carrier takes the traffic; nothing is lost. When the
// primary answers again its breaker closes and traffic returns to it.
func TestFailover(t *testing.T) {
	c := newCluster(t, crashSim(), "")
	backup := c.withBackup()
	inst := c.start("one")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const n = 3000
	targets := func() []string { return []string{inst.api} }
	msgs := c.loadNamed(ctx, "a", n/3, targets, func(int64) {})
	// The primary hangs: its breaker opens, the backup takes the traffic.
	c.sim.SetSilent(true)
	msgs = append(msgs, c.loadNamed(ctx, "b", n/3, targets, func(int64) {})...)
	// (The hung primary sends no receipts for what it took before; those
	// messages stay SUBMITTED until it recovers.)
	testkit.Eventually(t, time.Minute, func() error {
		if got := backup.TotalSubmits(); got < n/3 {
			return fmt.Errorf("the failover carrier took %d of the %d messages sent while the primary hung", got, n/3)
		}
		return nil
	})
	// The primary recovers: after the open timeout a probe closes its
	// breaker and traffic returns.
	c.sim.SetSilent(false)
	primaryAtRecovery := c.sim.TotalSubmits()
	time.Sleep(2500 * time.Millisecond) // the breaker's open timeout
	msgs = append(msgs, c.loadNamed(ctx, "c", n/3, targets, func(int64) {})...)
	c.waitFinal(ctx, n)
	inDoubt, err := pipeline.NewLedger(c.store, nil).InDoubt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		got := c.sim.Submits(m.to, m.body) + backup.Submits(m.to, m.body)
		if _, doubted := inDoubt[m.id]; got == 0 || (got > 1 && !doubted) {
			t.Fatalf("%s reached the carriers %d times (in doubt: %v)", m.id, got, doubted)
		}
	}
	if after := c.sim.TotalSubmits(); after < primaryAtRecovery+n/6 {
		t.Fatalf("traffic did not return to the primary after it recovered (%d submits, %d at recovery)", after, primaryAtRecovery)
	}
	metrics := scrape(t, inst.api)
	for _, want := range []string{
		`tern_carrier_breaker_transitions_total{carrier="primary",from="closed",to="open"}`,
		`tern_carrier_breaker_transitions_total{carrier="primary",from="half-open",to="closed"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Fatalf("metrics lack %s", want)
		}
	}
	t.Logf("primary %d submits, backup %d, %d in doubt", c.sim.TotalSubmits(), backup.TotalSubmits(), len(inDoubt))
}

// withBackup starts a second simulator, like the first (same seed: the
// same outcome per message), and routes every destination to the first
// ("primary", a 1 s request timeout) and then to it ("backup"), with a
// breaker that opens after 3 failures for 2 s. Instances started after
// it use these routes.
func (c *cluster) withBackup() *smscsim.Server {
	c.t.Helper()
	backup, err := smscsim.New(c.simCfg)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := backup.Start(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { backup.Close() })
	routes := filepath.Join(c.dir, "routes.yaml")
	err = os.WriteFile(routes, []byte(fmt.Sprintf(`carriers:
  - primary=smpp://tern:pw@%s?request_timeout=1s&window=50
  - backup=smpp://tern:pw@%s?window=50
routes:
  - match: "*"
    carriers: [primary, backup]
breaker:
  failures: 3
  open_timeout: 2s
`, c.sim.Addr(), backup.Addr())), 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	c.carrier, c.flags = "", append(c.flags, "--routes", routes)
	return backup
}

// scrape returns an instance's /metrics text.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
