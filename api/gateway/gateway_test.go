package gateway

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/core/testkit"
)

// TestValidityPeriod: a submit's validity_period becomes the message's
// validity, cut to the server's when it reaches further.
func TestValidityPeriod(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config()) // MaxValidity 48h, the intake's
	e.account(Account{SystemID: "acme", Category: core.CategoryOTP})
	c := dialESME(t, srv.Addr())
	c.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
	want := map[string]time.Duration{ // recipient -> validity
		"+14155552001": 10 * time.Minute,
		"+14155552002": 48 * time.Hour, // asked for 10 days
		"+14155552003": 48 * time.Hour, // asked for nothing
	}
	for to, period := range map[string]string{"+14155552001": "000000001000000R", "+14155552002": "000010000000000R", "+14155552003": ""} {
		m := sm(to[1:], "Your code is 123456", 1)
		m.ValidityPeriod = period
		if _, st := c.submit(m); st != smpp.StatusOK {
			t.Fatalf("submit to %s: %v", to, st.Name())
		}
	}
	for _, r := range e.submitted(len(want)) {
		got := r.ValidUntil.AsTime().Sub(r.AcceptedAt.AsTime())
		if d := got - want[r.To]; d < -2*time.Second || d > 2*time.Second {
			t.Errorf("%s valid for %v after it was accepted, want %v", r.To, got, want[r.To])
		}
	}
}

// TestSubmitAndReceipts: each submit_sm is a message in the submit topic
// under the account's tenant and origin, answered with tern's id; final
// events, repeated, come back as one receipt each, only as
// registered_delivery asked.
func TestSubmitAndReceipts(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme", Category: core.CategoryMarketing})
	c := dialESME(t, srv.Addr())
	c.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)

	type msg struct {
		id, to   string
		reg      uint8
		st       core.Status
		receipts bool
	}
	var msgs []msg
	for i := range 12 {
		m := msg{to: fmt.Sprintf("1415555%04d", 2000+i), reg: uint8(i % 3), st: core.StatusDelivered}
		if i%2 == 1 {
			m.st = core.StatusUndelivered
		}
		m.receipts = m.reg == 1 || (m.reg == 2 && m.st != core.StatusDelivered)
		id, st := c.submit(sm(m.to, fmt.Sprintf("Order %d shipped", i), m.reg))
		if st != smpp.StatusOK || len(id) != msgid.Len {
			t.Fatalf("submit %d: %q %v", i, id, st.Name())
		}
		m.id = id
		msgs = append(msgs, m)
	}
	recs := e.submitted(len(msgs))
	byID := map[string]bool{}
	for _, r := range recs {
		byID[r.Id] = true
		if r.Origin != "smpp/acme" || r.TenantId != "shop" || r.From != "SHOP" || r.Category != 2 || !strings.HasPrefix(r.Body, "Order ") {
			t.Fatalf("submit record %+v", r)
		}
	}
	want := 0
	for _, m := range msgs {
		if !byID[m.id] {
			t.Fatalf("%s not in the submit topic", m.id)
		}
		e.final("acme", m.id, m.st, "000")
		e.final("acme", m.id, m.st, "000") // events may repeat
		if m.receipts {
			want++
		}
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if got := len(c.receipts()); got != want {
			return fmt.Errorf("%d receipts, want %d", got, want)
		}
		return nil
	})
	got := c.receipts()
	for _, m := range msgs {
		d, ok := got[m.id]
		if ok != m.receipts {
			t.Fatalf("%s (registered %d, %v): receipt %v", m.id, m.reg, m.st, ok)
		}
		if !ok {
			continue
		}
		r, err := smpp.ParseReceipt(d, smpp.IDAsIs, smpp.IDAsIs)
		if err != nil || r.ID != m.id || r.Status != m.st {
			t.Fatalf("receipt of %s: %+v, %v", m.id, r, err)
		}
		if d.Source.Addr != m.to || d.Source.TON != smpp.TONInternational || d.Dest.Addr != "SHOP" {
			t.Fatalf("receipt of %s from %+v to %+v", m.id, d.Source, d.Dest)
		}
		text, err := smpp.ParseReceiptText(string(d.ShortMessage))
		if err != nil || text.ID != m.id || text.SubmitDate.IsZero() || text.DoneDate.IsZero() {
			t.Fatalf("receipt text %q: %+v %v", d.ShortMessage, text, err)
		}
	}
	// Every repeated event found its message joined already.
	testkit.Eventually(t, 5*time.Second, func() error {
		if q := counterValue(srv.metrics.queued.WithLabelValues("receipt")); q != float64(want) {
			return fmt.Errorf("%v receipts queued, want %d", q, want)
		}
		if n, err := e.store.queued(context.Background(), "acme"); err != nil || n != 0 {
			return fmt.Errorf("%d still queued (%v)", n, err)
		}
		return nil
	})
}

// TestSubmitStatuses: bad input gets the status that names what is wrong;
// data_sm and submit_multi are taken too.
func TestSubmitStatuses(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme"})
	e.account(Account{SystemID: "latin", Latin1: true})
	c := dialESME(t, srv.Addr())
	c.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
	l := dialESME(t, srv.Addr())
	l.bind(smpp.BindTransmitter, "latin", "secret", smpp.StatusOK)

	ok := func() *smpp.SubmitSM { return sm("14155552671", "hello", 1) }
	with := func(f func(*smpp.SubmitSM)) *smpp.SubmitSM { m := ok(); f(m); return m }
	payload := func(b []byte) func(*smpp.SubmitSM) {
		return func(m *smpp.SubmitSM) { m.ShortMessage = nil; m.TLVs.Set(smpp.TagMessagePayload, b) }
	}
	tests := []struct {
		name string
		on   *esme
		in   *smpp.SubmitSM
		want smpp.CommandStatus
	}{
		{"valid", c, ok(), smpp.StatusOK},
		{"unknown ton with country code", c, with(func(m *smpp.SubmitSM) { m.Dest.TON = smpp.TONUnknown }), smpp.StatusOK},
		{"plus and 00", c, with(func(m *smpp.SubmitSM) { m.Dest.Addr = "0014155552671" }), smpp.StatusOK},
		{"alphanumeric destination", c, with(func(m *smpp.SubmitSM) { m.Dest = smpp.Address{TON: smpp.TONAlphanumeric, Addr: "SHOP"} }), smpp.StatusInvalidDestAddr},
		{"empty destination", c, with(func(m *smpp.SubmitSM) { m.Dest.Addr = "" }), smpp.StatusInvalidDestAddr},
		{"national destination", c, with(func(m *smpp.SubmitSM) { m.Dest.TON = smpp.TONNational }), smpp.StatusInvalidDestAddr},
		{"not a number", c, with(func(m *smpp.SubmitSM) { m.Dest.Addr = "1415" }), smpp.StatusInvalidDestAddr},
		{"source too long", c, with(func(m *smpp.SubmitSM) { m.Source.Addr = "VERYLONGSHOP" }), smpp.StatusInvalidSourceAddr},
		{"source with a control character", c, with(func(m *smpp.SubmitSM) { m.Source.Addr = "SHOP\x01" }), smpp.StatusInvalidSourceAddr},
		{"empty text", c, with(func(m *smpp.SubmitSM) { m.ShortMessage = nil }), smpp.StatusInvalidMsgLength},
		{"text over 1600", c, with(payload([]byte(strings.Repeat("a", 1601)))), smpp.StatusInvalidMsgLength},
		{"long text in payload", c, with(payload([]byte(strings.Repeat("a", 700)))), smpp.StatusOK},
		{"both short message and payload", c, with(func(m *smpp.SubmitSM) { m.TLVs.Set(smpp.TagMessagePayload, []byte("x")) }), smpp.StatusInvalidMsgLength},
		{"binary coding", c, with(func(m *smpp.SubmitSM) { m.DataCoding = 4 }), smpp.StatusInvalidDataCoding},
		{"gsm with high octet", c, with(func(m *smpp.SubmitSM) { m.ShortMessage = []byte{'c', 0xE9} }), smpp.StatusInvalidDataCoding},
		{"latin-1 account", l, with(func(m *smpp.SubmitSM) { m.ShortMessage = []byte{'c', 0xE9} }), smpp.StatusOK},
		{"ucs-2 odd", c, with(func(m *smpp.SubmitSM) { m.DataCoding = 8; m.ShortMessage = []byte{0, 'a', 0} }), smpp.StatusInvalidMsgLength},
		{"ucs-2", c, with(func(m *smpp.SubmitSM) { m.DataCoding = 8; m.ShortMessage = []byte{0x04, 0x1f, 0x04, 0x40} }), smpp.StatusOK},
		{"receipt esm_class", c, with(func(m *smpp.SubmitSM) { m.ESMClass = smpp.ESMClassReceipt }), smpp.StatusInvalidESMClass},
		{"bad schedule", c, with(func(m *smpp.SubmitSM) { m.ScheduleDeliveryTime = "2601011200000+" }), smpp.StatusInvalidScheduleTime},
		{"schedule too far", c, with(func(m *smpp.SubmitSM) { m.ScheduleDeliveryTime = "010000000000000R" }), smpp.StatusInvalidScheduleTime},
		{"relative schedule", c, with(func(m *smpp.SubmitSM) { m.ScheduleDeliveryTime = "000000000100000R" }), smpp.StatusOK},
		{"bad validity", c, with(func(m *smpp.SubmitSM) { m.ValidityPeriod = "x" }), smpp.StatusInvalidExpiry},
		{"validity over already", c, with(func(m *smpp.SubmitSM) { m.ValidityPeriod = "200101000000000+" }), smpp.StatusInvalidExpiry},
		{"validity over before the schedule", c, with(func(m *smpp.SubmitSM) {
			m.ScheduleDeliveryTime, m.ValidityPeriod = "000000010000000R", "000000001000000R"
		}), smpp.StatusInvalidExpiry},
		{"relative validity", c, with(func(m *smpp.SubmitSM) { m.ValidityPeriod = "000000001000000R" }), smpp.StatusOK},
		{"validity beyond the server's", c, with(func(m *smpp.SubmitSM) { m.ValidityPeriod = "000010000000000R" }), smpp.StatusOK},
		{"bad priority", c, with(func(m *smpp.SubmitSM) { m.PriorityFlag = 9 }), smpp.StatusInvalidPriorityFlag},
		{"broken udh", c, with(func(m *smpp.SubmitSM) { m.ESMClass = smpp.ESMClassUDHI; m.ShortMessage = []byte{9, 0, 3} }), smpp.StatusInvalidMsgLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, st := tt.on.submit(tt.in)
			if st != tt.want {
				t.Fatalf("%v, want %v", st.Name(), tt.want.Name())
			}
		})
	}

	t.Run("data_sm", func(t *testing.T) {
		m := &smpp.DataSM{Dest: smpp.Address{TON: 1, NPI: 1, Addr: "14155552671"}, RegisteredDelivery: 1}
		m.TLVs.Set(smpp.TagMessagePayload, []byte("via data_sm"))
		p, err := c.call(m)
		if err != nil || p.Status != smpp.StatusOK || len(p.Body.(*smpp.DataSMResp).MessageID) != msgid.Len {
			t.Fatalf("data_sm: %+v %v", p, err)
		}
	})
	t.Run("submit_multi", func(t *testing.T) {
		m := &smpp.SubmitMulti{Source: smpp.Address{TON: 5, Addr: "SHOP"}, ShortMessage: []byte("to many"), RegisteredDelivery: 1,
			Dests: []smpp.Dest{
				{Addr: smpp.Address{TON: 1, NPI: 1, Addr: "14155552671"}},
				{Addr: smpp.Address{TON: 5, Addr: "nope"}},
				{DistList: "friends"},
				{Addr: smpp.Address{TON: 1, NPI: 1, Addr: "14155552672"}},
			}}
		p, err := c.call(m)
		if err != nil || p.Status != smpp.StatusOK {
			t.Fatalf("submit_multi: %+v %v", p, err)
		}
		resp := p.Body.(*smpp.SubmitMultiResp)
		if len(resp.MessageID) != msgid.Len || len(resp.Unsuccess) != 2 ||
			resp.Unsuccess[0].Status != smpp.StatusInvalidDestAddr || resp.Unsuccess[1].Status != smpp.StatusCannotSubmitToDistList {
			t.Fatalf("submit_multi_resp %+v", resp)
		}
	})
	t.Run("query and cancel", func(t *testing.T) {
		for body, want := range map[smpp.Body]smpp.CommandStatus{
			&smpp.QuerySM{MessageID: "x"}:  smpp.StatusQueryFailed,
			&smpp.CancelSM{MessageID: "x"}: smpp.StatusCancelFailed,
		} {
			if p, err := c.call(body); err != nil || p.Status != want {
				t.Fatalf("%T: %+v %v", body, p, err)
			}
		}
	})
	t.Run("submit on a receiver", func(t *testing.T) {
		r := dialESME(t, srv.Addr())
		r.bind(smpp.BindReceiver, "acme", "secret", smpp.StatusOK)
		if _, st := r.submit(ok()); st != smpp.StatusInvalidBindStatus {
			t.Fatalf("%v", st.Name())
		}
	})
}

// TestConcatenatedParts: a customer's own UDH parts go through as they
// are, one message each, with their decoded text as the body.
func TestConcatenatedParts(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme"})
	e.account(Account{SystemID: "latin", Latin1: true})
	c := dialESME(t, srv.Addr())
	c.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
	l := dialESME(t, srv.Addr())
	l.bind(smpp.BindTransceiver, "latin", "secret", smpp.StatusOK)
	part := func(seq byte, text string) *smpp.SubmitSM {
		m := sm("14155552671", "", 1)
		m.ESMClass = smpp.ESMClassUDHI
		m.ShortMessage = append([]byte{5, 0, 3, 0x42, 2, seq}, text...)
		return m
	}
	first, second := strings.Repeat("a", 153), "the end"
	id1, st1 := c.submit(part(1, first))
	id2, st2 := c.submit(part(2, second))
	id3, st3 := l.submit(part(1, "caf\xe9 ok"))
	if st1 != smpp.StatusOK || st2 != smpp.StatusOK || st3 != smpp.StatusOK || id1 == id2 {
		t.Fatalf("parts: %s %v, %s %v, %v", id1, st1.Name(), id2, st2.Name(), st3.Name())
	}
	if _, st := c.submit(part(1, strings.Repeat("a", 154))); st != smpp.StatusInvalidMsgLength {
		t.Fatalf("a part over 153 septets: %v", st.Name())
	}
	recs := e.submitted(3)
	byID := map[string]int{}
	for i, r := range recs {
		byID[r.Id] = i
	}
	r1, r2, r3 := recs[byID[id1]], recs[byID[id2]], recs[byID[id3]]
	if r1.Raw == nil || !r1.Raw.Udhi || len(r1.Raw.ShortMessage) != 159 || r1.Body != first || r1.Segments != 1 {
		t.Fatalf("first part %+v", r1)
	}
	if r2.Raw == nil || r2.Body != second {
		t.Fatalf("second part %+v", r2)
	}
	// Latin-1 in data_coding 0 goes to the carrier as GSM septets.
	if r3.Raw == nil || r3.Raw.DataCoding != 0 || r3.Body != "café ok" || r3.Raw.ShortMessage[6+3] != 0x05 {
		t.Fatalf("latin-1 part %+v", r3)
	}
}

// TestBindRefusals: unknown and disabled accounts, addresses outside the
// allow-list and wrong passwords answer alike, binds over the limit are
// refused, each with a log line; repeated refusals close the connection.
func TestBindRefusals(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme", BindLimit: 1})
	e.account(Account{SystemID: "off", Disabled: true})
	e.account(Account{SystemID: "far", AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	e.account(Account{SystemID: "near", AllowedIPs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})

	c := dialESME(t, srv.Addr())
	c.bind(smpp.BindTransceiver, "nobody", "secret", smpp.StatusInvalidPassword)
	c.bind(smpp.BindTransceiver, "acme", "wrong", smpp.StatusInvalidPassword)
	c.bind(smpp.BindTransceiver, "off", "secret", smpp.StatusInvalidPassword)
	testkit.Eventually(t, 2*time.Second, func() error {
		if !c.isClosed() {
			return fmt.Errorf("connection open after three refused binds")
		}
		return nil
	})
	for _, reason := range []string{"unknown system_id", "reason=password", "reason=disabled", "closed after refused binds"} {
		if !strings.Contains(e.logs.String(), reason) {
			t.Fatalf("no log line for %q", reason)
		}
	}
	d := dialESME(t, srv.Addr())
	d.bind(smpp.BindTransceiver, "far", "secret", smpp.StatusInvalidPassword)
	d.bind(smpp.BindTransceiver, "near", "secret", smpp.StatusOK)
	a := dialESME(t, srv.Addr())
	a.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
	b := dialESME(t, srv.Addr())
	b.bind(smpp.BindReceiver, "acme", "secret", smpp.StatusBindFailed) // bind limit 1
	a.unbind()
	testkit.Eventually(t, 5*time.Second, func() error {
		p, err := b.call(&smpp.Bind{Type: smpp.BindReceiver, SystemID: "acme", Password: "secret"})
		if err != nil || p.Status != smpp.StatusOK {
			return fmt.Errorf("bind after the other unbound: %+v %v", p.Status.Name(), err)
		}
		return nil
	})
	// Disabling unbinds the account's sessions.
	if err := e.store.DisableAccount(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if !b.isClosed() {
			return fmt.Errorf("disabled account still bound")
		}
		return nil
	})
}

// TestReceiptsWaitForBind: receipts for an account not bound to receive
// wait in PostgreSQL, the oldest beyond the account's limit expire with a
// metric, and the rest arrive when it binds.
func TestReceiptsWaitForBind(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme", MaxQueued: 3})
	tx := dialESME(t, srv.Addr())
	tx.bind(smpp.BindTransmitter, "acme", "secret", smpp.StatusOK)
	var ids []string
	for i := range 5 {
		id, st := tx.submit(sm("14155552671", fmt.Sprintf("m%d", i), 1))
		if st != smpp.StatusOK {
			t.Fatal(st)
		}
		ids = append(ids, id)
	}
	tx.unbind()
	for _, id := range ids {
		e.final("acme", id, core.StatusDelivered, "")
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if x := counterValue(srv.metrics.expired.WithLabelValues("limit")); x != 2 {
			return fmt.Errorf("%v expired, want 2", x)
		}
		return nil
	})
	rx := dialESME(t, srv.Addr())
	rx.bind(smpp.BindReceiver, "acme", "secret", smpp.StatusOK)
	testkit.Eventually(t, 10*time.Second, func() error {
		got := rx.receipts()
		for _, id := range ids[2:] {
			if got[id] == nil {
				return fmt.Errorf("no receipt for %s (%d received)", id, len(got))
			}
		}
		return nil
	})
	if got := rx.receipts(); len(got) != 3 {
		t.Fatalf("%d receipts, want the newest 3", len(got))
	}
}

// TestRefusedReceiptsComeAgain: a receipt the customer answers with an
// error is offered again, on its next bind too.
func TestRefusedReceiptsComeAgain(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme"})
	c := dialESME(t, srv.Addr())
	c.deliverStatus.Store(uint32(smpp.StatusTempAppError))
	c.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
	id, st := c.submit(sm("14155552671", "x", 1))
	if st != smpp.StatusOK {
		t.Fatal(st)
	}
	e.final("acme", id, core.StatusExpired, "")
	testkit.Eventually(t, 10*time.Second, func() error {
		if !strings.Contains(e.logs.String(), "offered again later") {
			return fmt.Errorf("receipt not refused yet")
		}
		return nil
	})
	c.deliverStatus.Store(0)
	testkit.Eventually(t, 10*time.Second, func() error {
		if c.receipts()[id] == nil {
			return fmt.Errorf("no receipt")
		}
		return nil
	})
}

// TestThroughputCap: beyond its throughput an account is throttled.
func TestThroughputCap(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme", Throughput: 2})
	c := dialESME(t, srv.Addr())
	c.bind(smpp.BindTransceiver, "acme", "secret", smpp.StatusOK)
	var chans []chan smpp.PDU
	for i := range 20 {
		seq := uint32(1000 + i)
		chans = append(chans, c.expect(seq))
		if err := c.write(smpp.PDU{Header: smpp.Header{Seq: seq}, Body: sm("14155552671", "x", 0)}); err != nil {
			t.Fatal(err)
		}
	}
	counts := map[smpp.CommandStatus]int{}
	for _, ch := range chans {
		select {
		case p := <-ch:
			counts[p.Status]++
		case <-time.After(10 * time.Second):
			t.Fatal("no answer")
		}
	}
	if counts[smpp.StatusThrottled] < 10 || counts[smpp.StatusOK] < 1 || counts[smpp.StatusOK]+counts[smpp.StatusThrottled] != 20 {
		t.Fatalf("answers %v, want most throttled", counts)
	}
}

// TestReplies: a reply to one of an account's numbers goes to the account
// as a deliver_sm; replies to other numbers are not its own.
func TestReplies(t *testing.T) {
	e := newEnv(t)
	srv := e.start(e.config())
	e.account(Account{SystemID: "acme", Numbers: []string{"+14155550100", "12345"}})
	c := dialESME(t, srv.Addr())
	c.bind(smpp.BindReceiver, "acme", "secret", smpp.StatusOK)
	e.reply("+14155552671", "12345", "STOP")
	e.reply("+14155552671", "99999", "not yours")
	e.reply("+14155552672", "+14155550100", "Привет")
	testkit.Eventually(t, 10*time.Second, func() error {
		if n := len(c.received()); n != 2 {
			return fmt.Errorf("%d replies, want 2", n)
		}
		return nil
	})
	got := map[string]string{}
	for _, d := range c.received() {
		in, err := smpp.InboundOf(d)
		if err != nil {
			t.Fatal(err)
		}
		got[in.To] = in.From + " " + in.Text
	}
	if got["12345"] != "+14155552671 STOP" || got["+14155550100"] != "+14155552672 Привет" {
		t.Fatalf("replies %q", got)
	}
}

// counterValue reads a counter's value.
func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
