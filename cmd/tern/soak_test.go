//go:build soak

package main

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/pipeline"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestSoak is `make soak`: two instances share a broker, PostgreSQL and
// ClickHouse and route every message to a primary simulator with a backup
// behind it, under an open-loop load of login codes, order updates,
// marketing and scheduled messages, while a fault comes every few seconds:
// the primary hangs, both carriers answer 30 % ESME_RSYSERR, an instance
// is killed with SIGKILL, the primary drops its sessions, the primary
// throttles, an instance restarts gracefully. Once a minute the store
// also sends a flash sale, fifteen seconds of the load's rate at once,
// over its rate limit (1.5 × the load's rate). Then it checks what a store
// relies on: every accepted message final, each reached a carrier unless
// it ended with a reason, twice only when the ledger had it in doubt, no
// scheduled message before its time, the pipeline never stood still
// while messages waited, and the two instances together kept the limit.
//
// TERN_SOAK sets how long the load runs (default 10m), TERN_SOAK_RATE the
// sends a second (default 200), TERN_SOAK_LIMIT the store's rate limit (0
// for none).
func TestSoak(t *testing.T) {
	d := soakEnv(t, "TERN_SOAK", 10*time.Minute, time.ParseDuration)
	rate := soakEnv(t, "TERN_SOAK_RATE", 200.0, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) })
	limit := soakEnv(t, "TERN_SOAK_LIMIT", 1.5*rate, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) })

	c := newCluster(t, crashSim(), "")
	c.writeConfig(fmt.Sprintf("    rate: %g\n", limit))
	backup := c.withBackup()
	primary := c.sim
	f := &fleet{c: c, up: map[string]*instance{}}
	f.add(c.start("a"))
	f.add(c.start("b"))

	ctx, cancel := context.WithTimeout(context.Background(), d+15*time.Minute)
	defer cancel()
	start := time.Now()
	logf := func(format string, args ...any) {
		t.Logf("%6.1fs "+format, append([]any{time.Since(start).Seconds()}, args...)...)
	}

	loadCtx, stopLoad := context.WithTimeout(ctx, d)
	defer stopLoad()
	var (
		mu   sync.Mutex
		msgs []soakMsg
	)
	jobs := make(chan int, 4096)
	var workers sync.WaitGroup
	for range 64 {
		workers.Go(func() {
			clients := map[string]ternv1connect.MessageServiceClient{}
			for i := range jobs {
				m, req := soakRequest(i, time.Now())
				m.accepted = time.Now()
				// A send in flight when the load ends still finishes (ctx,
				// not loadCtx): its key may already be in Kafka.
				resp, err := c.sendAnywhere(ctx, clients, f.targets, i, req)
				if err != nil {
					t.Errorf("send %d: %v", i, err)
					continue
				}
				m.id = resp.Id
				mu.Lock()
				msgs = append(msgs, m)
				mu.Unlock()
			}
		})
	}
	// The flash sales' jobs are numbered from flashBase on.
	flash := int(15 * rate)
	go func() {
		defer close(jobs)
		put := func(i int) bool {
			select {
			case jobs <- i:
				return true
			case <-loadCtx.Done():
				return false
			}
		}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		begun, next, sales := time.Now(), 0, 0
		for {
			select {
			case <-loadCtx.Done():
				return
			case now := <-tick.C:
				if now.Sub(begun) >= time.Duration(sales)*time.Minute+25*time.Second {
					logf("flash sale: %d marketing messages at once", flash)
					for k := range flash {
						if !put(flashBase + sales*flash + k) {
							return
						}
					}
					sales++
				}
				for due := int(now.Sub(begun).Seconds() * rate); next < due; next++ {
					if !put(next) {
						return
					}
				}
			}
		}
	}()

	// The faults, one every few seconds, in a cycle of a minute.
	faults := map[string]int{}
	var chaos sync.WaitGroup
	chaos.Go(func() {
		kills := 0
		for cycle := 0; ; cycle++ {
			at := start.Add(time.Duration(cycle) * time.Minute)
			step := func(offset time.Duration, name string, do func()) bool {
				select {
				case <-loadCtx.Done():
					return false
				case <-time.After(time.Until(at.Add(offset))):
				}
				logf("fault: %s", name)
				faults[name]++
				do()
				return true
			}
			ok := step(2*time.Second, "primary hangs for 15 s", func() { primary.SetSilent(true) }) &&
				step(17*time.Second, "primary answers again", func() { primary.SetSilent(false) }) &&
				step(22*time.Second, "both carriers answer 30 % ESME_RSYSERR for 15 s", func() {
					primary.SetErrors(0.3, smpp.StatusSystemError, 15*time.Second)
					backup.SetErrors(0.3, smpp.StatusSystemError, 15*time.Second)
				}) &&
				step(40*time.Second, "an instance is killed with SIGKILL and started again", func() {
					kills++
					f.restart([]string{"a", "b"}[kills%2], true)
				}) &&
				step(46*time.Second, "the primary drops its sessions", func() { primary.DropSessions() }) &&
				step(48*time.Second, "the primary throttles at 50/s for 6 s", func() {
					primary.SetThrottle(50, 5)
					time.AfterFunc(6*time.Second, func() { primary.SetThrottle(0, 0) })
				}) &&
				step(55*time.Second, "an instance restarts gracefully", func() {
					f.restart([]string{"b", "a"}[kills%2], false)
				})
			if !ok {
				primary.SetSilent(false)
				primary.SetThrottle(0, 0)
				return
			}
		}
	})

	// Progress every 5 s: the longest time nothing turned final while
	// messages waited.
	var (
		stall, longest time.Duration
		lastFinal      int64
		lastLine       int64
		lineAt         = start
	)
	progress := func() (accepted, final int64) {
		st, err := c.reports.CampaignStats(ctx, "shop", "load")
		if err != nil {
			logf("campaign stats: %v", err)
			return -1, -1
		}
		return st.Accepted, st.Accepted - st.Queued - st.Submitted
	}
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for loadCtx.Err() == nil {
		select {
		case <-loadCtx.Done():
		case <-tick.C:
			accepted, final := progress()
			if final < 0 {
				continue
			}
			if final > lastFinal || final == accepted {
				stall = 0
			} else {
				stall += 5 * time.Second
				longest = max(longest, stall)
			}
			if int(time.Since(start).Seconds())%30 < 5 {
				logf("accepted %d, final %d (%.0f/s since the last line)", accepted, final, float64(final-lastLine)/time.Since(lineAt).Seconds())
				lastLine, lineAt = final, time.Now()
			}
			lastFinal = final
		}
	}
	workers.Wait()
	chaos.Wait()
	n := len(msgs)
	logf("load stopped: %d accepted; waiting for all to be final", n)
	// Under a limit the faults leave a backlog that drains only at what
	// the load leaves of the limit, so the wait is for progress, not for
	// a fixed time: the load's messages must keep turning final.
	stopped, left := time.Now(), int64(-1)
	for stall = 0; ; {
		accepted, final := progress()
		if accepted == int64(n) && final == accepted {
			break
		}
		if left < 0 && final >= 0 {
			left = int64(n) - final
		}
		if final > lastFinal {
			stall = 0
		} else {
			stall += 5 * time.Second
			longest = max(longest, stall)
		}
		if stall >= 2*time.Minute {
			t.Fatalf("for %v after the load stopped nothing turned final: %d of %d accepted, %d final", stall, accepted, n, final)
		}
		lastFinal = max(lastFinal, final)
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for all to be final: %v", ctx.Err())
		case <-tick.C:
		}
	}
	logf("the %d messages not final when the load stopped were final %v later", left, time.Since(stopped).Round(time.Second))
	final := c.waitFinal(ctx, n)
	logf("all final: %+v", final)

	// Each message's statuses, as ClickHouse has them.
	got := soakStatuses(t, ctx, c)
	inDoubt, err := pipeline.NewLedger(c.store, nil).InDoubt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]int{}
	var twice, scheduled int
	var late []time.Duration
	waits := map[string][]time.Duration{} // accept to first submit, by kind
	for _, m := range msgs {
		s, ok := got[m.id]
		if !ok {
			t.Fatalf("%s (%q): no events in ClickHouse", m.id, m.body)
		}
		if !s.status.Final() {
			t.Fatalf("%s ended %v, not final", m.id, s.status)
		}
		if (s.status == core.StatusFailed || s.status == core.StatusExpired) && s.reason == "" {
			t.Fatalf("%s ended %v without a reason", m.id, s.status)
		}
		key := s.status.String()
		if s.reason != "" {
			key += " (" + s.reason + ")"
		}
		outcomes[key]++
		sends := primary.Submits(m.to, m.body) + backup.Submits(m.to, m.body)
		_, doubted := inDoubt[m.id]
		switch {
		case sends == 0 && s.status != core.StatusFailed && s.status != core.StatusExpired:
			t.Fatalf("%s ended %v but never reached a carrier", m.id, s.status)
		case sends > 1 && !doubted:
			t.Fatalf("%s reached the carriers %d times, never in doubt", m.id, sends)
		case sends > 1:
			twice++
		}
		if !m.sendAt.IsZero() && !s.submitted.IsZero() {
			scheduled++
			if s.submitted.Before(m.sendAt) {
				t.Fatalf("%s submitted at %v, before its send_at %v", m.id, s.submitted, m.sendAt)
			}
			late = append(late, s.submitted.Sub(m.sendAt))
		}
		if m.sendAt.IsZero() && !s.submitted.IsZero() {
			kind := m.category.String()
			if strings.HasPrefix(m.body, "Flash sale") {
				kind = "flash sale"
			}
			waits[kind] = append(waits[kind], s.submitted.Sub(m.accepted))
		}
	}
	// The limit: limit × 10 submits in 10 s, plus a second's burst (the
	// instances' shares of it add up to one), one more for an instance
	// started again, and the submits a hung carrier held, which count
	// when it answers them: about 12 × the limit. Submits are counted when
	// they are made (Limits.Pace), so turns taken before a fault and used
	// after it do not add to that. The check (13 ×) also catches an
	// instance that takes the whole limit rather than its share.
	busiest, at := soakBusiest(t, ctx, c)
	if most := int(13 * limit); limit > 0 && busiest > most {
		t.Errorf("%d submits in the 10 s from %v, want at most %d at a limit of %g/s", busiest, at, most, limit)
	}
	if longest >= 2*time.Minute {
		t.Errorf("for %v nothing turned final while messages waited", longest)
	}
	if backup.TotalSubmits() == 0 {
		t.Error("the backup never took traffic: the faults did not happen")
	}

	t.Logf("soak of %v at %.0f sends/s: %d accepted, all final", d, rate, n)
	for _, k := range slices.Sorted(maps.Keys(outcomes)) {
		t.Logf("  %-60s %d", k, outcomes[k])
	}
	for _, k := range slices.Sorted(maps.Keys(faults)) {
		t.Logf("  fault %-54s %d×", k, faults[k])
	}
	slices.Sort(late)
	t.Logf("  submits: primary %d, backup %d; %d messages in doubt, %d of them sent twice", primary.TotalSubmits(), backup.TotalSubmits(), len(inDoubt), twice)
	if len(late) > 0 {
		t.Logf("  %d scheduled messages: submitted after send_at by p50 %v, p99 %v, max %v", scheduled,
			late[len(late)/2].Round(time.Millisecond), late[len(late)*99/100].Round(time.Millisecond), late[len(late)-1].Round(time.Millisecond))
	}
	t.Logf("  longest time nothing turned final while messages waited: %v (sampled every 5 s)", longest)
	t.Logf("  rate limit %g/s: at most %d submits in 10 s (from %v)", limit, busiest, at.Format(time.TimeOnly))
	for _, l := range soakWaits(t, ctx, c) {
		t.Logf("  %s", l)
	}
	if turns := soakTurnsLate(t, ctx, c); len(turns) > 0 {
		t.Logf("  %d messages waited for a turn: first submit after the last turn by p50 %v, p99 %v, max %v (the turn is known to the second)", len(turns),
			turns[len(turns)/2], turns[len(turns)*99/100], turns[len(turns)-1])
	}
	for _, k := range slices.Sorted(maps.Keys(waits)) {
		w := waits[k]
		slices.Sort(w)
		t.Logf("  %s: accept to first submit p50 %v, p99 %v, max %v (%d messages)", k,
			w[len(w)/2].Round(time.Millisecond), w[len(w)*99/100].Round(time.Millisecond), w[len(w)-1].Round(time.Millisecond), len(w))
	}
}

// soakBusiest returns the most SUBMITTED events of the soak's tenant in
// any 10 s (from a multiple of 10 s on) and when those 10 s began.
func soakBusiest(t *testing.T, ctx context.Context, c *cluster) (int, time.Time) {
	t.Helper()
	conn, db := soakCH(t, c)
	var (
		from uint64
		n    uint64
	)
	if err := conn.QueryRow(ctx, db(`
		SELECT intDiv(toUInt64(event_time), 10) * 10 AS w, uniqExact(message_id, event_time, event_ns) AS n
		FROM {db}.events WHERE tenant_id = 'shop' AND status = ?
		GROUP BY w ORDER BY n DESC LIMIT 1`), uint8(core.StatusSubmitted)).Scan(&from, &n); err != nil {
		t.Fatal(err)
	}
	return int(n), time.Unix(int64(from), 0)
}

// soakMsg is one message the soak's load had accepted.
type soakMsg struct {
	id, to, body string
	sendAt       time.Time
	accepted     time.Time // when the send began
	category     ternv1.Category
}

// flashBase numbers the flash sales' sends.
const flashBase = 1 << 30

// soakRequest is the soak's i-th send: a tenth login codes, a fifth
// marketing, the rest order updates; one in twenty scheduled 5–40 s ahead.
// From flashBase on, the flash sales' marketing.
func soakRequest(i int, now time.Time) (soakMsg, *ternv1.SendRequest) {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	m := soakMsg{to: fmt.Sprintf("+1415555%04d", i%9000+1000)}
	req := &ternv1.SendRequest{To: m.to, CampaignId: "load", IdempotencyKey: fmt.Sprintf("soak-%d", i)}
	if i >= flashBase {
		m.to = fmt.Sprintf("+1415556%04d", i%9000+1000)
		m.body = fmt.Sprintf("Flash sale, one hour only: 30%% off (%d)", i-flashBase)
		req.To, req.Body, req.Category = m.to, m.body, ternv1.Category_CATEGORY_MARKETING
		m.category = req.Category
		return m, req
	}
	switch p := r.IntN(10); {
	case p == 0:
		req.Category, m.body = ternv1.Category_CATEGORY_OTP, fmt.Sprintf("Your login code is %06d (%d)", r.IntN(1000000), i)
	case p < 3:
		req.Category, m.body = ternv1.Category_CATEGORY_MARKETING, fmt.Sprintf("Weekend offer: 15%% off with code WEEKEND%d", i)
	default:
		req.Category, m.body = ternv1.Category_CATEGORY_TRANSACTIONAL, fmt.Sprintf("Order #%d has shipped", 100000+i)
	}
	req.Body, m.category = m.body, req.Category
	if r.IntN(20) == 0 {
		m.sendAt = now.Add(5*time.Second + time.Duration(r.IntN(35000))*time.Millisecond).Truncate(time.Millisecond)
		req.SendAt = timestamppb.New(m.sendAt)
	}
	return m, req
}

// fleet is the soak's running instances by name.
type fleet struct {
	c  *cluster
	mu sync.Mutex
	up map[string]*instance
}

func (f *fleet) add(in *instance) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.up[in.name] = in
}

// targets are the API addresses of the instances up.
func (f *fleet) targets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, in := range f.up {
		out = append(out, in.api)
	}
	return out
}

// restart takes an instance out of the targets, ends it (SIGKILL when
// kill, else SIGTERM), and starts it again on the same data directory.
func (f *fleet) restart(name string, kill bool) {
	f.mu.Lock()
	in := f.up[name]
	delete(f.up, name)
	f.mu.Unlock()
	if kill {
		in.kill()
		time.Sleep(2 * time.Second)
	} else {
		in.stop(f.c.t)
	}
	f.add(f.c.start(name))
}

// soakStatus is one message's latest status in ClickHouse and when a
// carrier first took it.
type soakStatus struct {
	status    core.Status
	reason    string
	submitted time.Time
}

// soakStatuses reads every message of the soak's database from the events
// table in one query.
func soakStatuses(t *testing.T, ctx context.Context, c *cluster) map[string]soakStatus {
	t.Helper()
	conn, db := soakCH(t, c)
	rows, err := conn.Query(ctx, db(`
		SELECT message_id,
			argMax(status, (status_rank, toUInt64(event_time) * 1000000000 + event_ns, status)),
			argMax(reason, (status_rank, toUInt64(event_time) * 1000000000 + event_ns, status)),
			minIf(toUInt64(event_time) * 1000000000 + event_ns, status = ?)
		FROM {db}.events WHERE tenant_id = 'shop'
		GROUP BY message_id`), uint8(core.StatusSubmitted))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]soakStatus{}
	for rows.Next() {
		var (
			id, reason string
			status     uint8
			submitted  uint64
		)
		if err := rows.Scan(&id, &status, &reason, &submitted); err != nil {
			t.Fatal(err)
		}
		s := soakStatus{status: core.Status(status), reason: reason}
		if submitted > 0 {
			s.submitted = time.Unix(0, int64(submitted))
		}
		out[id] = s
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func soakEnv[T any](t *testing.T, name string, def T, parse func(string) (T, error)) T {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := parse(s)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return v
}

// soakWaits tells, per category and reason, how many messages waited
// (QUEUED) and how often.
func soakWaits(t *testing.T, ctx context.Context, c *cluster) []string {
	t.Helper()
	conn, db := soakCH(t, c)
	rows, err := conn.Query(ctx, db(`
		SELECT category, extract(reason, '\\(([a-z_]+)\\)$') AS why, uniqExact(message_id), uniqExact(message_id, event_time, event_ns)
		FROM {db}.events WHERE tenant_id = 'shop' AND status = ? AND reason != ''
		GROUP BY category, why ORDER BY category, why`), uint8(core.StatusQueued))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			cat       uint8
			why       string
			msgs, all uint64
		)
		if err := rows.Scan(&cat, &why, &msgs, &all); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%v waited for %s: %d messages, %d waits", core.Category(cat), why, msgs, all))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// soakTurnsLate returns, sorted, how long after the turn it last waited
// for (the time in its last rate-limit wait) each message that waited for
// one was first submitted.
func soakTurnsLate(t *testing.T, ctx context.Context, c *cluster) []time.Duration {
	t.Helper()
	conn, db := soakCH(t, c)
	rows, err := conn.Query(ctx, db(`
		SELECT toInt64(minIf(toUInt64(event_time) * 1000000000 + event_ns, status = ?)) -
			toInt64(maxIf(toUInt64(parseDateTimeBestEffort(extract(reason, 'until (\\S+) '))) * 1000000000, endsWith(reason, '(rate_limit)')))
		FROM {db}.events WHERE tenant_id = 'shop'
		GROUP BY message_id
		HAVING countIf(endsWith(reason, '(rate_limit)')) > 0 AND countIf(status = ?) > 0`), uint8(core.StatusSubmitted), uint8(core.StatusSubmitted))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var ns int64
		if err := rows.Scan(&ns); err != nil {
			t.Fatal(err)
		}
		out = append(out, time.Duration(ns).Round(time.Millisecond))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// soakCH is a connection to the cluster's ClickHouse, closed when the test
// ends, and db, which puts its database in a query's {db}.
func soakCH(t *testing.T, c *cluster) (driver.Conn, func(query string) string) {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{c.ch.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, func(query string) string { return strings.ReplaceAll(query, "{db}", "`"+c.ch.Database+"`") }
}
