package verify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/verify"
)

func TestStartAndCheck(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	const to = "+14155552671"
	st, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: to})
	if err != nil {
		t.Fatal(err)
	}
	v := st.Verification
	if !verify.ValidID(v.ID) || v.Status != verify.StatusPending || v.Sends != 1 || st.Resent || v.CodeLength != 6 ||
		v.Expires.Sub(v.Created) != 10*time.Minute || v.MessageID == "" {
		t.Fatalf("started %+v", st)
	}
	// The message: the OTP lane, the brand, the validity as the
	// message's, from the tenant's default sender (the intake fills it).
	subs := e.submits(t, ctx)[OriginPrefix+v.ID]
	if len(subs) != 1 {
		t.Fatalf("%d messages for the verification", len(subs))
	}
	m := subs[0]
	if m.To != to || m.Id != v.MessageID || !strings.HasPrefix(m.Body, "Acme: your verification code is ") ||
		m.ValidUntil.AsTime().Sub(m.AcceptedAt.AsTime()) != 10*time.Minute {
		t.Fatalf("message %+v", m)
	}
	code := e.code(t, ctx, v.ID)

	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	c, err := e.svc.Check(ctx, CheckRequest{Tenant: "shop-1", ID: v.ID, Code: wrong})
	if err != nil || c.Outcome != verify.StatusPending || c.Checks != 1 {
		t.Fatalf("wrong code: %+v, %v", c, err)
	}
	e.clock.advance(42 * time.Second)
	c, err = e.svc.Check(ctx, CheckRequest{Tenant: "shop-1", To: to, Code: code})
	if err != nil || c.Outcome != verify.StatusApproved || c.Status != verify.StatusApproved || c.Approved.IsZero() {
		t.Fatalf("right code: %+v, %v", c, err)
	}
	if _, err := e.svc.Check(ctx, CheckRequest{Tenant: "shop-1", ID: v.ID, Code: code}); !errors.Is(err, verify.ErrApproved) {
		t.Fatalf("approved twice: %v", err)
	}
	if _, err := e.svc.Check(ctx, CheckRequest{Tenant: "shop-2", ID: v.ID, Code: code}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant's check: %v", err)
	}
	if g, err := e.svc.Get(ctx, "shop-1", v.ID); err != nil || g.Status != verify.StatusApproved || g.Checks != 2 {
		t.Fatalf("Get = %+v, %v", g, err)
	}

	// Analytics records: started, two checks, the approval's time to verify.
	testkit.Eventually(t, 10*time.Second, func() error {
		var kinds []string
		var ttv int64
		for _, ev := range e.events(t, ctx) {
			kinds = append(kinds, ev.Kind+"/"+ev.Outcome)
			if ev.Outcome == "approved" {
				ttv = ev.TimeToVerifyMs
			}
			if ev.Region != "US" || ev.Prefix != "+14155" || strings.Contains(fmt.Sprint(ev), code) {
				return fmt.Errorf("event %v", ev)
			}
		}
		if strings.Join(kinds, " ") != "started/ checked/pending checked/approved" || ttv != 42_000 {
			return fmt.Errorf("events %v, time to verify %d", kinds, ttv)
		}
		return nil
	})
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// TestCodesNotStored: no table of the database holds a code as text.
func TestCodesNotStored(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	var codes []string
	for i, to := range []string{"+14155552671", "+14155552672", "+12125550123"} {
		st, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: to, CodeLength: 10})
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, e.code(t, ctx, st.ID))
		if i == 0 {
			if _, err := e.svc.Check(ctx, CheckRequest{Tenant: "shop-1", ID: st.ID, Code: codes[0]}); err != nil {
				t.Fatal(err)
			}
		}
	}
	conn, err := pgx.Connect(ctx, e.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, table := range tables {
		rows, err := conn.Query(ctx, `SELECT row_to_json(t)::text FROM `+pgx.Identifier{table}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			seen++
			for _, c := range codes {
				if regexp.MustCompile(`(^|[^0-9a-fA-F])` + c + `($|[^0-9a-fA-F])`).MatchString(text) {
					t.Errorf("table %s holds a code: %s", table, text)
				}
			}
		}
	}
	if seen < 10 || len(tables) < 5 {
		t.Fatalf("looked at %d rows of %d tables", seen, len(tables))
	}
}

// TestLimits: the 6th check is refused, an expired code is refused, the
// 6th send in 10 minutes is refused, and so is a send within 30 s.
func TestLimits(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	const to = "+14155552671"
	st, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: to})
	if err != nil {
		t.Fatal(err)
	}
	code := e.code(t, ctx, st.ID)
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	for i := 1; i <= 5; i++ {
		c, err := e.svc.Check(ctx, CheckRequest{Tenant: "shop-1", ID: st.ID, Code: wrong})
		if err != nil || c.Outcome != verify.StatusPending || c.Checks != i {
			t.Fatalf("check %d: %+v, %v", i, c, err)
		}
	}
	c, err := e.svc.Check(ctx, CheckRequest{Tenant: "shop-1", ID: st.ID, Code: code})
	if err != nil || c.Outcome != verify.StatusMaxAttemptsReached || c.Status != verify.StatusMaxAttemptsReached {
		t.Fatalf("6th check, right code: %+v, %v", c, err)
	}

	// Sends: within the cooldown refused; 5 in the window, the 6th refused.
	const other = "+14155552672"
	first, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: other})
	if err != nil {
		t.Fatal(err)
	}
	var we *WaitError
	if _, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: other}); !errors.Is(err, verify.ErrCooldown) || !errors.As(err, &we) || we.Wait != 30*time.Second {
		t.Fatalf("send within the cooldown: %v", err)
	}
	for i := 2; i <= 5; i++ {
		e.clock.advance(31 * time.Second)
		st, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: other})
		if err != nil || !st.Resent || st.ID != first.ID || st.Sends != i {
			t.Fatalf("send %d: %+v, %v", i, st, err)
		}
	}
	e.clock.advance(31 * time.Second)
	if _, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: other}); !errors.Is(err, verify.ErrMaxSends) || !errors.As(err, &we) || we.Wait <= 0 {
		t.Fatalf("6th send: %v", err)
	}
	// A resend sends the same code.
	msgs := e.submits(t, ctx)[OriginPrefix+first.ID]
	if len(msgs) != 5 || msgs[0].Body[:38] != msgs[4].Body[:38] {
		t.Fatalf("%d messages; first %q, last %q", len(msgs), msgs[0].Body, msgs[len(msgs)-1].Body)
	}
	// Past its expiry the right code is refused.
	e.clock.advance(8 * time.Minute)
	c, err = e.svc.Check(ctx, CheckRequest{Tenant: "shop-1", To: other, Code: e.code(t, ctx, first.ID)})
	if err != nil || c.Outcome != verify.StatusExpired {
		t.Fatalf("expired: %+v, %v", c, err)
	}
	// Once the window passed, sends go again, as a new verification.
	e.clock.advance(3 * time.Minute)
	again, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: other})
	if err != nil || again.Resent || again.ID == first.ID {
		t.Fatalf("after the window: %+v, %v", again, err)
	}
	if got := e.counter(t, "tern_verify_refused_total", "max_sends"); got != 1 {
		t.Fatalf("max_sends refusals counted %v", got)
	}
}

func TestStartRefusals(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	bad := []struct {
		name string
		req  StartRequest
		want string
	}{
		{"no number", StartRequest{Tenant: "shop-1"}, "to: required"},
		{"bad number", StartRequest{Tenant: "shop-1", To: "+1999"}, "to: not a valid phone number"},
		{"channel", StartRequest{Tenant: "shop-1", To: "+14155552671", Channel: "call"}, "channel: only sms"},
		{"locale", StartRequest{Tenant: "shop-1", To: "+14155552671", Locale: "tlh"}, "locale: not supported"},
		{"code length", StartRequest{Tenant: "shop-1", To: "+14155552671", CodeLength: 12}, "code_length: 4 to 10"},
		{"a country the tenant's senders are not in", StartRequest{Tenant: "shop-1", To: "+447911123456"}, "to: country not enabled for verification"},
	}
	for _, b := range bad {
		if _, err := e.svc.Start(ctx, b.req); err == nil || !strings.HasPrefix(err.Error(), b.want) {
			t.Errorf("%s: %v, want %q", b.name, err, b.want)
		}
	}
	if _, err := e.svc.Start(ctx, StartRequest{Tenant: "nobody", To: "+14155552671"}); !errors.Is(err, ErrUnknownTenant) {
		t.Errorf("unknown tenant: %v", err)
	}
	// Allowed by the policy; in Spanish with the Spanish shift table,
	// with the WebOTP line and the app hash.
	if _, err := e.svc.SetPolicy(ctx, "shop-1", verify.Policy{Countries: []string{"GB", "ES"}, Domain: "shop.example.com", AppHash: "FA+9qCX9VSu"}); err != nil {
		t.Fatal(err)
	}
	st, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: "+34612345678", Locale: "es-ES", CodeLength: 8})
	if err != nil {
		t.Fatal(err)
	}
	m := e.submits(t, ctx)[OriginPrefix+st.ID][0]
	code := e.code(t, ctx, st.ID)
	if lines := strings.Split(m.Body, "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "Acme: tu código de verificación es "+code) ||
		lines[1] != "FA+9qCX9VSu" || lines[2] != "@shop.example.com #"+code || m.ShiftTables != "es" || m.Segments != 1 {
		t.Fatalf("message %q (tables %q, %d parts)", m.Body, m.ShiftTables, m.Segments)
	}
	if _, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: "+14155552671"}); !errors.Is(err, verify.ErrCountryNotEnabled) {
		t.Fatalf("US once the list names GB and ES only: %v", err)
	}
	if _, err := e.svc.SetPolicy(ctx, "shop-1", verify.Policy{CodeLength: 2}); !errors.Is(err, verify.ErrPolicy) {
		t.Fatalf("bad policy: %v", err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	st, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: "+14155552671"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if v, err := e.svc.Cancel(ctx, "shop-1", st.ID); err != nil || v.Status != verify.StatusCanceled {
			t.Fatalf("Cancel = %+v, %v", v, err)
		}
	}
	c, err := e.svc.Check(ctx, CheckRequest{Tenant: "shop-1", ID: st.ID, Code: e.code(t, ctx, st.ID)})
	if err != nil || c.Outcome != verify.StatusCanceled {
		t.Fatalf("check of a canceled verification: %+v, %v", c, err)
	}
	e.clock.advance(time.Minute)
	st2, err := e.svc.Start(ctx, StartRequest{Tenant: "shop-1", To: "+14155552671"})
	if err != nil || st2.ID == st.ID {
		t.Fatalf("start after a cancel: %+v, %v", st2, err)
	}
	if _, err := e.svc.Check(ctx, CheckRequest{Tenant: "shop-1", ID: st2.ID, Code: e.code(t, ctx, st2.ID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Cancel(ctx, "shop-1", st2.ID); !errors.Is(err, ErrNotPending) {
		t.Fatalf("cancel an approved verification: %v", err)
	}
	if _, err := e.svc.Cancel(ctx, "shop-1", "VE0123"); !errors.Is(err, verify.ErrInvalid) {
		t.Fatalf("cancel a malformed id: %v", err)
	}
	if _, err := e.svc.Cancel(ctx, "shop-1", verify.NewID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cancel an unknown id: %v", err)
	}
}
