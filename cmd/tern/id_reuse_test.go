package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/testkit"
)

// simProcess is the simulator SMSC as a process of its own, `tern
// smsc-sim`, which a test can restart.
type simProcess struct {
	t    *testing.T
	bin  string
	dir  string
	args []string
	addr string
	cmd  *exec.Cmd
}

// startSimProcess starts `tern smsc-sim` with args on a port of its
// choosing; restart starts it again on the same address.
func startSimProcess(t *testing.T, bin, dir string, args ...string) *simProcess {
	t.Helper()
	s := &simProcess{t: t, bin: bin, dir: dir, args: args, addr: "127.0.0.1:0"}
	s.start()
	return s
}

func (s *simProcess) start() {
	s.t.Helper()
	log := filepath.Join(s.dir, fmt.Sprintf("sim-%d.log", time.Now().UnixNano()))
	f, err := os.Create(log)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(s.bin, append([]string{"smsc-sim", "--listen", s.addr, "--log-level", "warn"}, s.args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	s.t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		f.Close()
	})
	s.addr = printedAddr(s.t, log, "simulator SMSC listening on ")
}

// restart stops the simulator, which drops its sessions and forgets what
// it had not sent, and starts it again on the same address with the same
// flags: with --first-id, it hands out the same message ids again.
func (s *simProcess) restart() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	s.start()
}

// TestCarrierReusesIDs: the carrier, a `tern smsc-sim` of its own, is
// restarted with its id counter reset between two batches, so the second
// batch's messages get the ids the first batch's had, and each receipt
// comes 300 ms before its submit_sm_resp (--receipt-lead), so before tern
// has recorded the id, which still maps to a final message of the first
// batch. Every message
// ends with its own receipt's status; none stays SUBMITTED, and the first
// batch's keep theirs.
func TestCarrierReusesIDs(t *testing.T) {
	const n = 3000
	simCfg := smscsim.Config{Seed: 7, DeliveredRatio: 0.8, UndeliveredRatio: 0.2}
	c := newCluster(t, smscsim.Config{Addr: "127.0.0.1:0"}, "") // its in-process simulator stays idle
	sim := startSimProcess(t, c.bin, c.dir, "--first-id", "1000000", "--receipt-delay", "0", "--receipt-lead", "300ms",
		"--seed", "7", "--delivered", "0.8", "--undelivered", "0.2")
	c.carrier = "sim=smpp://tern:pw@" + sim.addr + "?window=100"
	in := c.start("a")
	targets := func() []string { return []string{in.api} }
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	first := c.loadNamed(ctx, "first", n, targets, func(int64) {})
	want := expectedStats(simCfg, first)
	c.waitStats(ctx, want)
	sim.restart()
	second := c.loadNamed(ctx, "second", n, targets, func(int64) {})
	want = expectedStats(simCfg, append(first, second...))
	c.waitStats(ctx, want)

	// The race this is about happened: receipts came before their ids were
	// recorded and found the first batch's messages.
	parked := 0.0
	for line := range strings.Lines(scrape(t, in.api)) {
		if v, ok := strings.CutPrefix(line, "tern_receipts_parked_total "); ok {
			parked, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	t.Logf("%v receipts came before their message's ids were recorded and waited for them", parked)
	if parked == 0 {
		t.Fatal("no receipt came before its message's ids were recorded: the test did not test the reuse")
	}
	for _, m := range []sent{first[0], first[n-1], second[0], second[n-1]} {
		v, err := c.reports.Message(ctx, "shop", m.id)
		if err != nil || v.Status != core.ReceiptStatus(simCfg.Outcome(m.to, m.body)) {
			t.Fatalf("%s (%q) = %+v, %v; want its own receipt's status %s", m.id, m.body, v, err, simCfg.Outcome(m.to, m.body))
		}
	}
}

// expectedStats is the campaign stats of msgs once every one has its
// simulator's outcome.
func expectedStats(cfg smscsim.Config, msgs []sent) analytics.CampaignStats {
	st := analytics.CampaignStats{CampaignID: "load", Accepted: int64(len(msgs)), Segments: int64(len(msgs))}
	for _, m := range msgs {
		switch cfg.Outcome(m.to, m.body) {
		case "DELIVRD":
			st.Delivered++
		case "UNDELIV":
			st.Undelivered++
		}
	}
	return st
}

// waitStats waits until the campaign's stats in ClickHouse are want.
func (c *cluster) waitStats(ctx context.Context, want analytics.CampaignStats) {
	c.t.Helper()
	testkit.Eventually(c.t, 3*time.Minute, func() error {
		got, err := c.reports.CampaignStats(ctx, "shop", "load")
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("stats %+v\nwant  %+v", got, want)
		}
		return nil
	})
}
