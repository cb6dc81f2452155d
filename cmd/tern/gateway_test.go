package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/testkit"
)

// startGatewaySystem starts the whole system as `tern serve --dev` does,
// with the SMPP gateway on a free port.
func startGatewaySystem(t *testing.T, sim smscsim.Config) *running {
	t.Helper()
	return startConfigured(t, sim, func(c *serveConfig) {
		c.smpp = smppFlags{listen: "127.0.0.1:0"}
		c.kafka.Partitions = 4
	})
}

// customer is an ESME bound to the gateway: tern's own SMPP client, with
// the ids tern gives kept as they are.
type customer struct {
	client   *smpp.Client
	mu       sync.Mutex
	receipts map[string]carriers.Receipt
	replies  []carriers.Inbound
	stop     func()
}

func newCustomer(t *testing.T, addr, systemID, password string, mode smpp.BindMode) *customer {
	t.Helper()
	cu := &customer{receipts: map[string]carriers.Receipt{}}
	client, err := smpp.NewClient(smpp.ClientConfig{Name: "customer", Addr: addr, SystemID: systemID, Password: password,
		Mode: mode, ResponseIDFormat: smpp.IDAsIs, ReceiptIDFormat: smpp.IDAsIs, EnquireLink: time.Second, ReconnectMax: time.Second},
		smpp.WithReceiptHandler(func(_ context.Context, r carriers.Receipt) error {
			cu.mu.Lock()
			defer cu.mu.Unlock()
			cu.receipts[r.ID] = r
			return nil
		}),
		smpp.WithInboundHandler(func(_ context.Context, in carriers.Inbound) error {
			cu.mu.Lock()
			defer cu.mu.Unlock()
			cu.replies = append(cu.replies, in)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	cu.client = client
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { client.Run(ctx); close(done) }()
	var once sync.Once
	cu.stop = func() {
		once.Do(func() {
			cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
			client.Close(cctx)
			ccancel()
			cancel()
			<-done
		})
	}
	t.Cleanup(cu.stop)
	return cu
}

func (cu *customer) receipt(id string) (carriers.Receipt, bool) {
	cu.mu.Lock()
	defer cu.mu.Unlock()
	r, ok := cu.receipts[id]
	return r, ok
}

// submitted is one message a customer sent and tern accepted.
type submitted struct{ id, to, text string }

// send submits n messages asking for receipts and returns them.
func (cu *customer) send(t *testing.T, ctx context.Context, n int, tag string) []submitted {
	t.Helper()
	out := make([]submitted, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			m := submitted{to: fmt.Sprintf("+1415555%04d", 3000+i), text: fmt.Sprintf("Your order %s-%d has shipped", tag, i)}
			acc, err := cu.client.Submit(ctx, &carriers.Submission{To: m.to, From: "SHOP", Text: m.text, RegisteredDelivery: true})
			if err != nil || len(acc.IDs) != 1 {
				errs <- fmt.Errorf("submit %d: %v %v", i, acc, err)
				return
			}
			m.id = acc.IDs[0]
			out[i] = m
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return out
}

// waitReceipts waits until every message has its receipt, with the status
// the simulator decided.
func (cu *customer) waitReceipts(t *testing.T, sim smscsim.Config, msgs []submitted, timeout time.Duration) {
	t.Helper()
	testkit.Eventually(t, timeout, func() error {
		missing := 0
		for _, m := range msgs {
			r, ok := cu.receipt(m.id)
			if !ok {
				missing++
				continue
			}
			if want := core.ReceiptStatus(sim.Outcome(strings.TrimPrefix(m.to, "+"), m.text)); r.Status != want {
				return fmt.Errorf("receipt of %s: %v, want %v", m.id, r.Status, want)
			}
		}
		if missing > 0 {
			return fmt.Errorf("%d of %d receipts missing", missing, len(msgs))
		}
		return nil
	})
}

// querier is a transmitter bind of an account that asks query_sm, one at
// a time, answering the gateway's enquire_link while it waits.
type querier struct {
	t   *testing.T
	nc  net.Conn
	r   *smpp.Reader
	seq uint32
}

func newQuerier(t *testing.T, addr, systemID, password string) *querier {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	q := &querier{t: t, nc: nc, r: smpp.NewReader(nc, 0)}
	if p := q.call(&smpp.Bind{Type: smpp.BindTransmitter, SystemID: systemID, Password: password, InterfaceVersion: smpp.InterfaceVersion}); p.Status != smpp.StatusOK {
		t.Fatalf("bind: %s", p.Status.Name())
	}
	return q
}

// call writes a request and returns its response.
func (q *querier) call(body smpp.Body) smpp.PDU {
	q.t.Helper()
	q.seq++
	q.nc.SetDeadline(time.Now().Add(10 * time.Second))
	req := smpp.PDU{Header: smpp.Header{Seq: q.seq}, Body: body}
	b, err := req.AppendTo(nil)
	if err == nil {
		_, err = q.nc.Write(b)
	}
	for err == nil {
		var frame []byte
		if frame, err = q.r.ReadFrame(); err != nil {
			break
		}
		var p smpp.PDU
		if p, err = smpp.Decode(frame); err != nil {
			break
		}
		switch {
		case p.ID == smpp.CmdEnquireLink:
			b, _ := (&smpp.PDU{Header: smpp.Header{Seq: p.Seq}, Body: &smpp.EnquireLinkResp{}}).AppendTo(nil)
			_, err = q.nc.Write(b)
		case p.ID.IsResponse() && p.Seq == q.seq:
			return p
		}
	}
	q.t.Fatalf("%T: %v", body, err)
	return smpp.PDU{}
}

// query asks for a message's state.
func (q *querier) query(id string) (smpp.CommandStatus, *smpp.QuerySMResp) {
	q.t.Helper()
	p := q.call(&smpp.QuerySM{MessageID: id, Source: smpp.Address{TON: smpp.TONAlphanumeric, Addr: "SHOP"}})
	resp, _ := p.Body.(*smpp.QuerySMResp)
	return p.Status, resp
}

// cancelSM: cancel_sm withdraws a message scheduled an hour ahead, and
// every message of a submit_multi that asked for receipts, and query_sm
// then tells DELETED. A
// delivered message, an id that is not the account's and a cancel by
// addresses alone are refused.
func cancelSM(t *testing.T, ctx context.Context, r *running, q *querier, delivered, forged string) {
	t.Helper()
	const inAnHour = "000000010000000R"
	src := smpp.Address{TON: smpp.TONAlphanumeric, Addr: "SHOP"}
	dest := func(n string) smpp.Address {
		return smpp.Address{TON: smpp.TONInternational, NPI: smpp.NPIISDN, Addr: n}
	}
	p := q.call(&smpp.SubmitSM{Source: src, Dest: dest("14155552695"), ScheduleDeliveryTime: inAnHour, ShortMessage: []byte("Your cart misses you")})
	one, ok := p.Body.(*smpp.SubmitSMResp)
	if p.Status != smpp.StatusOK || !ok {
		t.Fatalf("scheduled submit_sm: %s", p.Status.Name())
	}
	p = q.call(&smpp.SubmitMulti{Source: src, ScheduleDeliveryTime: inAnHour, ShortMessage: []byte("Weekend offer"), RegisteredDelivery: 1,
		Dests: []smpp.Dest{{Addr: dest("14155552696")}, {Addr: dest("14155552697")}}})
	multi, ok := p.Body.(*smpp.SubmitMultiResp)
	if p.Status != smpp.StatusOK || !ok {
		t.Fatalf("scheduled submit_multi: %s", p.Status.Name())
	}
	var ids []string
	rows, err := r.store.Pool().Query(ctx, "SELECT message_id FROM smpp_messages WHERE receipt_id = $1", multi.MessageID)
	if err == nil {
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil || len(ids) != 2 {
		t.Fatalf("the submit_multi's messages: %v, %v", ids, err)
	}
	for _, id := range []string{one.MessageID, multi.MessageID, one.MessageID} {
		if p := q.call(&smpp.CancelSM{MessageID: id, Source: src}); p.Status != smpp.StatusOK {
			t.Errorf("cancel_sm %s: %s, want ESME_ROK", id, p.Status.Name())
		}
	}
	for id, want := range map[string]smpp.CommandStatus{delivered: smpp.StatusCancelFailed, forged: smpp.StatusInvalidMessageID, "": smpp.StatusCancelFailed} {
		if p := q.call(&smpp.CancelSM{MessageID: id, Source: src, Dest: dest("14155552695")}); p.Status != want {
			t.Errorf("cancel_sm %q: %s, want %s", id, p.Status.Name(), want.Name())
		}
	}
	for _, id := range []string{one.MessageID, multi.MessageID} {
		testkit.Eventually(t, 30*time.Second, func() error {
			if st, resp := q.query(id); st != smpp.StatusOK || resp.State != smpp.StateDeleted {
				return fmt.Errorf("query_sm %s after cancel_sm: %s %+v, want DELETED", id, st.Name(), resp)
			}
			return nil
		})
	}
	var n int
	err = r.store.Pool().QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE state = 4 AND message_id = ANY($1)", ids).Scan(&n)
	if err != nil || n != 2 {
		t.Errorf("%d of the submit_multi's 2 messages canceled (%v)", n, err)
	}
}

// TestGatewayEndToEnd: the dev account's ESME submits through the
// gateway; every message reaches the carrier once and its receipt comes
// back with tern's id; receipts for an ESME that went away wait and
// arrive when it binds again; replies to an account's number reach it.
func TestGatewayEndToEnd(t *testing.T) {
	sim := smscsim.Config{Addr: "127.0.0.1:0", Seed: 7, DeliveredRatio: 0.8, UndeliveredRatio: 0.2, ReceiptDelay: 2 * time.Second}
	r := startGatewaySystem(t, sim)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if r.smpp == nil || r.smpp.devAccount == "" {
		t.Fatal("no gateway or no dev account")
	}
	fi, err := os.Stat(r.smpp.devAccountFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v %v", r.smpp.devAccountFile, fi, err)
	}
	b, _ := os.ReadFile(r.smpp.devAccountFile)
	sys, pw, _ := strings.Cut(strings.TrimSpace(string(b)), ":")
	addr := r.smpp.srv.Addr()

	cu := newCustomer(t, addr, sys, pw, smpp.BindTransceivers)
	msgs := cu.send(t, ctx, 100, "a")
	cu.waitReceipts(t, sim, msgs, time.Minute)
	for _, m := range msgs {
		if n := r.sim.Submits(strings.TrimPrefix(m.to, "+"), m.text); n != 1 {
			t.Fatalf("%s reached the carrier %d times", m.id, n)
		}
	}

	// query_sm tells each message's state as its receipt did, once the
	// reports have it; a message just sent is on its way.
	q := newQuerier(t, addr, sys, pw)
	for _, m := range msgs[:10] {
		want := smpp.StateDelivered
		if core.ReceiptStatus(sim.Outcome(strings.TrimPrefix(m.to, "+"), m.text)) != core.StatusDelivered {
			want = smpp.StateUndeliverable
		}
		testkit.Eventually(t, 30*time.Second, func() error {
			st, resp := q.query(m.id)
			switch {
			case st != smpp.StatusOK:
				return fmt.Errorf("query_sm %s: %s", m.id, st.Name())
			case resp.State == smpp.StateEnroute:
				return fmt.Errorf("query_sm %s: still ENROUTE", m.id)
			case resp.MessageID != m.id || resp.State != want || len(resp.FinalDate) != 16:
				return fmt.Errorf("query_sm %s: %+v, want state %s with a final date", m.id, resp, want)
			}
			return nil
		})
	}
	sent := time.Now()
	fresh := cu.send(t, ctx, 1, "q")[0]
	st, resp := q.query(fresh.id)
	// The simulator answers no earlier than its receipt delay.
	if time.Since(sent) < sim.ReceiptDelay && (st != smpp.StatusOK || resp.State != smpp.StateEnroute || resp.FinalDate != "") {
		t.Errorf("query_sm of a message just sent: %s %+v, want ENROUTE", st.Name(), resp)
	}
	forged := []byte(msgs[0].id)
	forged[len(forged)-1] ^= 1 // another tag: not issued to this tenant
	for _, id := range []string{"x", strings.Repeat("0", 34), string(forged)} {
		if st, _ := q.query(id); st != smpp.StatusInvalidMessageID {
			t.Errorf("query_sm %q: %s, want ESME_RINVMSGID", id, st.Name())
		}
	}
	cancelSM(t, ctx, r, q, msgs[0].id, string(forged))
	q.nc.Close()
	cu.waitReceipts(t, sim, []submitted{fresh}, time.Minute)

	// Receipts queued while the customer is gone arrive when it is back.
	cu.stop()
	late := newCustomer(t, addr, sys, pw, smpp.BindTransceivers)
	msgs = late.send(t, ctx, 30, "b")
	late.stop()
	testkit.Eventually(t, time.Minute, func() error {
		var n int
		err := r.store.Pool().QueryRow(ctx, "SELECT count(*) FROM smpp_outbox WHERE system_id = $1", sys).Scan(&n)
		if err != nil || n != len(msgs) {
			return fmt.Errorf("%d receipts waiting, want %d (%v)", n, len(msgs), err)
		}
		return nil
	})
	back := newCustomer(t, addr, sys, pw, smpp.BindTransceivers)
	back.waitReceipts(t, sim, msgs, 30*time.Second)

	// Replies to an account's number go back on its bind.
	if err := runSMPPAccount(ctx, []string{"add", "--postgres-url", r.postgresURL, "--system-id", "replies",
		"--password", "replies", "--tenant", "dev", "--number", "+14155550100,12345"}); err != nil {
		t.Fatal(err)
	}
	rx := newCustomer(t, addr, "replies", "replies", smpp.BindTransceivers)
	testkit.Eventually(t, 30*time.Second, func() error {
		if err := r.sim.SendMO(ctx, "tern", "+14155552671", "12345", "STOP please"); err != nil {
			return err
		}
		return nil
	})
	testkit.Eventually(t, 30*time.Second, func() error {
		rx.mu.Lock()
		defer rx.mu.Unlock()
		if len(rx.replies) == 0 {
			return fmt.Errorf("no reply")
		}
		if in := rx.replies[0]; in.From != "+14155552671" || in.To != "12345" || in.Text != "STOP please" {
			return fmt.Errorf("reply %+v", in)
		}
		return nil
	})
}

// TestGatewayReceiptFromAnotherInstance: two instances run gateways; the
// customer is bound only to A; the final events that B's share of the
// consumer group handles still reach the customer, on A's bind.
func TestGatewayReceiptFromAnotherInstance(t *testing.T) {
	sim := crashSim()
	c := newCluster(t, sim, "window=100")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, c.bin, "smpp-account", "add", "--postgres-url", c.pgURL,
		"--system-id", "cust", "--tenant", "shop", "--throughput", "500").CombinedOutput()
	if err != nil {
		t.Fatalf("smpp-account add: %v\n%s", err, out)
	}
	var pw string
	if _, rest, ok := strings.Cut(string(out), `"password":"`); ok {
		pw, _, _ = strings.Cut(rest, `"`)
	}
	if len(pw) != 8 {
		t.Fatalf("no generated password in %s", out)
	}
	base := c.flags
	c.flags = append(base, "--smpp-listen", "127.0.0.1:0")
	a := c.start("a")
	b := c.start("b")
	c.flags = base
	addrA := printedAddr(t, a.log, "  SMPP gateway:")

	cu := newCustomer(t, addrA, "cust", pw, smpp.BindTransceivers)
	var msgs []submitted
	testkit.Eventually(t, time.Minute, func() error {
		msgs = append(msgs, cu.send(t, ctx, 20, fmt.Sprintf("r%d", len(msgs)))...)
		if queued := metricValue(scrape(t, b.api), `tern_smpp_queued_total{kind="receipt"}`); queued == 0 {
			return fmt.Errorf("instance b has queued no receipt yet (%d messages sent)", len(msgs))
		}
		return nil
	})
	cu.waitReceipts(t, sim, msgs, time.Minute)
	if d := metricValue(scrape(t, a.api), `tern_smpp_delivered_total{kind="receipt"}`); d != float64(len(msgs)) {
		t.Fatalf("a delivered %v receipts, want %d", d, len(msgs))
	}
	if d := metricValue(scrape(t, b.api), `tern_smpp_delivered_total{kind="receipt"}`); d != 0 {
		t.Fatalf("b, with no bind, delivered %v receipts", d)
	}

	// The accounts command lists and disables; a disabled account is
	// unbound and cannot bind again.
	out, err = exec.CommandContext(ctx, c.bin, "smpp-account", "list", "--postgres-url", c.pgURL).CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"system_id":"cust"`) || strings.Contains(string(out), "pbkdf2") {
		t.Fatalf("smpp-account list: %v\n%s", err, out)
	}
	if out, err := exec.CommandContext(ctx, c.bin, "smpp-account", "disable", "--postgres-url", c.pgURL, "--system-id", "cust").CombinedOutput(); err != nil {
		t.Fatalf("smpp-account disable: %v\n%s", err, out)
	}
	testkit.Eventually(t, 30*time.Second, func() error {
		if st := cu.client.Stats(); st.Bound != 0 {
			return fmt.Errorf("%d binds of a disabled account", st.Bound)
		}
		return nil
	})
}

// metricValue reads one sample from a Prometheus text exposition, 0 when
// it is absent.
func metricValue(text, sample string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}
