package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// system is where the end-to-end run sends: a tern serve the harness
// started, or one given with -addr.
type system struct {
	baseURL string
	key     string
	brokers []string
	serve   *ternServe // nil with -addr
}

// runE2E is the end-to-end run: Send over the API, then every message's
// final event on the events topic, timed by the harness per message id;
// then the totals from ClickHouse through GetCampaignStats.
//
// Each run has a campaign of its own. The first run on a tern the harness
// started reads the events topic from its start; later runs, and runs
// against -addr, from its end.
func runE2E(ctx context.Context, e *env, sys system, cfg loadConfig, campaign string, fromStart, profiling bool) (row, error) {
	r := row{name: "tern end to end, closed loop", rate: cfg.rate}
	if cfg.rate > 0 {
		r.name = fmt.Sprintf("tern end to end, open loop at %.0f/s", cfg.rate)
	}
	reqs := make([]*ternv1.SendRequest, len(e.reqs))
	for i, q := range e.reqs {
		c := proto.CloneOf(q)
		c.CampaignId = campaign
		reqs[i] = c
	}
	ev, err := tailFinals(ctx, sys.brokers, campaign, fromStart)
	if err != nil {
		return r, err
	}
	defer ev.stop()
	send, err := sendLoad(sys.baseURL, e.client(sys.key), reqs)
	if err != nil {
		return r, err
	}
	m0 := readMetrics(ctx, sys.baseURL+"/metrics")
	var a, b cpuSnap
	roots := []root{{os.Getpid(), harnessLabel + " (load generator, events reader)"}}
	if sys.serve != nil {
		roots = append(roots, root{sys.serve.cmd.Process.Pid, "tern serve"})
	}
	cfg.atWindow = func(start bool) {
		if !start {
			b = snapCPU(roots...)
			return
		}
		a = snapCPU(roots...)
		if profiling && sys.serve != nil && sys.serve.pprof != "" {
			go func() {
				// Skip the window's first seconds, then profile most of it.
				secs := max(int(cfg.duration.Seconds())-15, 5)
				time.Sleep(5 * time.Second)
				e.logf("e2e: profiling tern serve for %ds into %s", secs, e.profileDir)
				profile(ctx, sys.serve.pprof, e.profileDir, secs, e.contention, e.logf)
			}()
		}
	}
	e.logf("e2e: %d callers over %d connections for %v after %v warmup, campaign %s", cfg.concurrency, e.conns, cfg.duration, cfg.warmup, campaign)
	e.awaitQuiet(ctx)
	res := runLoad(ctx, cfg, send)
	r.cpu, r.load = a.until(b), loadAvg()
	ev.drain(e, &r, res)

	// ClickHouse: the totals through the API.
	stats, settle, err := campaignStats(ctx, sys, e.client(sys.key), campaign, int64(r.total), time.Minute)
	if err != nil {
		r.notes = append(r.notes, "GetCampaignStats: "+err.Error())
	} else {
		r.notes = append(r.notes, fmt.Sprintf("ClickHouse (GetCampaignStats, %v after the drain): accepted %d, queued %d, submitted %d, delivered %d, undelivered %d, failed %d, other final %d",
			settle.Round(100*time.Millisecond), stats.GetAccepted(), stats.GetQueued(), stats.GetSubmitted(), stats.GetDelivered(), stats.GetUndelivered(), stats.GetFailed(),
			stats.GetExpired()+stats.GetRejected()+stats.GetUnknown()+stats.GetCanceled()))
	}
	if m1 := readMetrics(ctx, sys.baseURL+"/metrics"); m0 != nil && m1 != nil {
		r.notes = append(r.notes, "tern /metrics over the run: "+metricsSummary(m0, m1))
	}
	return r, nil
}

// finalsTail reads one campaign's status events: the first sighting of
// each message's final event, and how many were SUBMITTED.
type finalsTail struct {
	finals    *firstSeen
	byStatus  [9]int
	submitted int64
	stopTail  context.CancelFunc
	done      chan struct{}
	client    *kgo.Client
	once      sync.Once
}

// tailFinals starts reading campaign's events from the events topic, from
// its start or its end. One franz-go client fetches every partition in
// one request, so the harness adds little work to the broker inside tern
// serve.
func tailFinals(ctx context.Context, brokers []string, campaign string, fromStart bool) (*finalsTail, error) {
	n, err := partitions(ctx, brokers, "tern.events")
	if err != nil {
		return nil, err
	}
	reset := kgo.NewOffset().AtEnd()
	if fromStart {
		reset = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("tern.events"),
		kgo.ConsumeResetOffset(reset), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return nil, err
	}
	tctx, stop := context.WithCancel(ctx)
	t := &finalsTail{finals: newFirstSeen(n), stopTail: stop, done: make(chan struct{}), client: cl}
	go func() {
		defer close(t.done)
		for tctx.Err() == nil {
			fs := cl.PollFetches(tctx)
			now := time.Now()
			fs.EachRecord(func(rec *kgo.Record) { t.see(rec, campaign, n, now) })
		}
	}()
	return t, nil
}

// see counts one event record of campaign, read at now.
func (t *finalsTail) see(rec *kgo.Record, campaign string, partitions int, now time.Time) {
	ev := &recordv1.Event{}
	if proto.Unmarshal(rec.Value, ev) != nil || ev.CampaignId != campaign {
		return
	}
	p := int(rec.Partition)
	switch s := core.Status(ev.Status); {
	case s == core.StatusSubmitted:
		t.submitted++
	case s.Final() && p < partitions:
		if _, seen := t.finals.parts[p][ev.MessageId]; !seen {
			t.byStatus[min(int(s), 8)]++
		}
		t.finals.see(p, ev.MessageId, now)
	}
}

// stop ends the tail and waits for its reader; it may be called twice.
func (t *finalsTail) stop() {
	t.once.Do(func() {
		t.stopTail()
		<-t.done
		t.client.Close()
	})
}

// drain waits, up to e.drain after the load, for the final event of every
// message res accepted, stops the tail, and fills r's figures and notes.
func (t *finalsTail) drain(e *env, r *row, res loadResult) {
	atEnd := t.finals.count.Load()
	accepted := int64(len(res.calls))
	e.logf("e2e: load stopped with %d accepted, %d final; waiting up to %v for the rest", accepted, atEnd, e.drain)
	stopped := time.Now()
	lastCount, lastChange := atEnd, stopped
	for t.finals.count.Load() < accepted && time.Since(stopped) < e.drain {
		time.Sleep(100 * time.Millisecond)
		if c := t.finals.count.Load(); c != lastCount {
			lastCount, lastChange = c, time.Now()
		}
	}
	drained := t.finals.count.Load()
	r.drainTime = lastChange.Sub(stopped)
	drainRate := float64(drained-atEnd) / max(r.drainTime.Seconds(), 0.001)
	t.stop()

	count, lats := res.inWindow()
	secs := res.t1.Sub(res.t0).Seconds()
	r.accepted, r.p50, r.p99 = float64(count)/secs, percentile(lats, 50), percentile(lats, 99)
	flat, missing := joined(res.calls, t.finals.all(), res.t0, res.t1)
	r.final, r.f50, r.f99 = float64(t.finals.between(res.t0, res.t1))/secs, percentile(flat, 50), percentile(flat, 99)
	r.errs, r.total, r.done, r.behind = res.errs, int(accepted), int(drained), int(accepted-atEnd)
	var parts []string
	for i, v := range t.byStatus {
		if v > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", core.Status(i), v))
		}
	}
	r.notes = append(r.notes,
		fmt.Sprintf("accepted %d in all (warmup included); final events for %d (%s); %d SUBMITTED events", accepted, drained, strings.Join(parts, ", "), t.submitted),
		fmt.Sprintf("at the end of the window %d accepted messages were not final yet; the last of them turned final %v after the load stopped (%.0f final msg/s with no load coming in)",
			accepted-atEnd, r.drainTime.Round(100*time.Millisecond), drainRate))
	if missing > 0 {
		r.notes = append(r.notes, fmt.Sprintf("%d messages accepted in the window had no final event within %v of the load's end", missing, e.drain))
	}
}

// campaignStats polls GetCampaignStats until ClickHouse holds want
// messages, none of them still queued or submitted, or wait passes.
func campaignStats(ctx context.Context, sys system, cc clientConfig, campaign string, want int64, wait time.Duration) (*ternv1.GetCampaignStatsResponse, time.Duration, error) {
	client := ternv1connect.NewAnalyticsServiceClient(h2c(), sys.baseURL, cc.options()...)
	began := time.Now()
	var last *ternv1.GetCampaignStatsResponse
	for {
		resp, err := client.GetCampaignStats(ctx, connect.NewRequest(&ternv1.GetCampaignStatsRequest{CampaignId: campaign}))
		if err == nil {
			last = resp.Msg
			if last.GetAccepted() >= want && last.GetQueued()+last.GetSubmitted() == 0 {
				return last, time.Since(began), nil
			}
		}
		if time.Since(began) > wait {
			if last != nil {
				return last, time.Since(began), nil
			}
			return nil, 0, err
		}
		select {
		case <-ctx.Done():
			return last, time.Since(began), ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// readMetrics reads tern's /metrics into series → value ("" on error).
func readMetrics(ctx context.Context, url string) map[string]float64 {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(l[i+1:], 64); err == nil {
			out[l[:i]] = v
		}
	}
	return out
}

// metricsSummary tells, from two /metrics readings, how the ledger batched
// and what went wrong in between.
func metricsSummary(a, b map[string]float64) string {
	d := func(k string) float64 { return b[k] - a[k] }
	var out []string
	for _, kind := range []string{"begin", "answer"} {
		n := d(`tern_ledger_batch_rows_count{kind="` + kind + `"}`)
		if n == 0 {
			continue
		}
		rows := d(`tern_ledger_batch_rows_sum{kind="` + kind + `"}`)
		secs := d(`tern_ledger_batch_seconds_sum{kind="` + kind + `"}`)
		out = append(out, fmt.Sprintf("ledger %s: %.0f batches, %.1f rows and %.1f ms each on average", kind, n, rows/n, 1000*secs/n))
	}
	var retries, doubt float64
	for k := range b {
		switch {
		case strings.HasPrefix(k, "tern_submit_retries_total"):
			retries += d(k)
		case strings.HasPrefix(k, "tern_messages_in_doubt_total"):
			doubt += d(k)
		}
	}
	out = append(out, fmt.Sprintf("submit retries %.0f, in doubt %.0f, unknown receipts %.0f", retries, doubt, d("tern_receipts_unknown_total")))
	return strings.Join(out, "; ")
}
