package consent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core/testkit"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
)

const number = "+14155550123"

// TestAuditTrailAndErase: every consent change is kept with how, where
// and when it was given; the events cannot be changed or deleted; an
// erase removes them and the number, and leaves it suppressed.
func TestAuditTrailAndErase(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := newEnv(t, ctx).start(t, ctx)
	l := a.ledger
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	in, st, dup, err := l.Record(ctx, Event{Tenant: "shop-1", Number: "14155550123", Kind: consent.OptIn, Scope: consent.ScopeMarketing,
		Method: MethodCheckoutCheckbox, Source: "https://shop.example/checkout", Disclosure: "v3", IP: "::ffff:192.0.2.7",
		UserAgent: "Mozilla/5.0", At: at, Dedupe: "order-4582"})
	if err != nil || dup || !st.Marketing {
		t.Fatalf("Record opt-in = %+v, %+v, dup %v, %v", in, st, dup, err)
	}
	if err := a.set.Check("shop-1", number, core.CategoryMarketing, ""); err != nil {
		t.Fatalf("own set does not see the opt-in at once: %v", err)
	}
	again, _, dup, err := l.Record(ctx, Event{Tenant: "shop-1", Number: number, Kind: consent.OptIn, Scope: consent.ScopeMarketing,
		Method: MethodCheckoutCheckbox, Dedupe: "order-4582"})
	if err != nil || !dup || again.ID != in.ID {
		t.Fatalf("retried Record = %+v, dup %v, %v; want the first record", again, dup, err)
	}
	if _, st, _, err = l.Record(ctx, Event{Tenant: "shop-1", Number: number, Kind: consent.OptOut, Scope: consent.ScopeAll, Method: MethodAPI}); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(consent.Decide(core.CategoryTransactional, st), consent.ErrOptedOut) {
		t.Fatalf("state after opt-out %+v", st)
	}
	evs, err := l.Events(ctx, "shop-1", number)
	if err != nil || len(evs) != 2 {
		t.Fatalf("Events = %+v, %v", evs, err)
	}
	first := evs[0]
	if first.Kind != consent.OptIn || first.Method != MethodCheckoutCheckbox || first.Source != "https://shop.example/checkout" ||
		first.Disclosure != "v3" || first.IP != "192.0.2.7" || first.UserAgent != "Mozilla/5.0" || !first.At.Equal(at) || first.Number != number {
		t.Fatalf("first event %+v", first)
	}
	if evs[1].Kind != consent.OptOut || evs[1].Method != MethodAPI {
		t.Fatalf("second event %+v", evs[1])
	}
	// Append-only, whoever asks.
	for _, sql := range []string{`UPDATE consent_events SET source = 'x'`, `DELETE FROM consent_events`} {
		if _, err := l.pool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: %v, want refused", sql, err)
		}
	}
	n, err := l.Erase(ctx, "shop-1", number)
	if err != nil || n != 2 {
		t.Fatalf("Erase = %d, %v", n, err)
	}
	if evs, err := l.Events(ctx, "shop-1", number); err != nil || len(evs) != 0 {
		t.Fatalf("Events after erase = %+v, %v", evs, err)
	}
	st, err = l.State(ctx, "shop-1", number)
	if err != nil || !st.Erased || !errors.Is(consent.Decide(core.CategoryOTP, st), consent.ErrOptedOut) {
		t.Fatalf("State after erase = %+v, %v; want erased and suppressed", st, err)
	}
	if got := a.set.Lookup("shop-1", number); !got.Erased {
		t.Fatalf("set after erase %+v", got)
	}
	if err := a.set.Check("shop-1", number, core.CategoryOTP, "smpp/shop1"); !errors.Is(err, consent.ErrOptedOut) || err.Error() != "to: recipient opted out" {
		t.Fatalf("Check after erase: %v", err)
	}
	if err := a.set.Check("shop-1", number, core.CategoryTransactional, consent.OriginPrefix+"stop"); err != nil {
		t.Fatalf("tern's own consent message refused: %v", err)
	}
	var left int
	if err := l.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM consent_state WHERE number IS NOT NULL)
		+ (SELECT count(*) FROM consent_events) + (SELECT count(*) FROM consent_pending)`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("rows holding the number after erase: %d, %v", left, err)
	}
	// Another tenant's record of the same number is its own.
	if st := a.set.Lookup("shop-2", number); st != (consent.State{}) {
		t.Fatalf("shop-2 sees shop-1's state: %+v", st)
	}
}

func TestRecordRefusesBadInput(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := newEnv(t, ctx).start(t, ctx).ledger
	good := Event{Tenant: "shop-1", Number: number, Kind: consent.OptIn, Scope: consent.ScopeMarketing, Method: MethodWebForm}
	with := func(f func(*Event)) Event { e := good; f(&e); return e }
	tests := []struct {
		name  string
		in    Event
		field string
	}{
		{"no number", with(func(e *Event) { e.Number = "" }), "number"},
		{"unknown number", with(func(e *Event) { e.Number = "+999123" }), "number"},
		{"no method", with(func(e *Event) { e.Method = 0 }), "method"},
		{"no kind", with(func(e *Event) { e.Kind = 0 }), "kind"},
		{"no scope", with(func(e *Event) { e.Scope = 0 }), "scope"},
		{"bad ip", with(func(e *Event) { e.IP = "300.1.1.1" }), "ip"},
		{"future", with(func(e *Event) { e.At = time.Now().Add(time.Hour) }), "occurred_at"},
		{"long disclosure", with(func(e *Event) { e.Disclosure = strings.Repeat("x", MaxDisclosure+1) }), "disclosure"},
		{"other channel", with(func(e *Event) { e.Channel = "email" }), "channel"},
		{"double opt-in recorded directly", with(func(e *Event) { e.Method = MethodDoubleOptIn }), "method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := l.Record(ctx, tt.in)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || strings.Contains(err.Error(), "4155550123") {
				t.Fatalf("Record = %v, want a field error naming %s (and not the number)", err, tt.field)
			}
		})
	}
	var n int
	if err := l.pool.QueryRow(ctx, `SELECT count(*) FROM consent_events`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d events recorded from bad input (%v)", n, err)
	}
}

// TestSetsFollowTheTopic: a change recorded on one instance reaches the
// other's set; a state recorded before an instance starts is loaded from
// PostgreSQL.
func TestSetsFollowTheTopic(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	a := e.start(t, ctx)
	if _, _, _, err := a.ledger.Record(ctx, Event{Tenant: "shop-1", Number: "+14155550001", Kind: consent.OptIn, Scope: consent.ScopeMarketing, Method: MethodWebForm}); err != nil {
		t.Fatal(err)
	}
	b := e.start(t, ctx)
	if !b.set.Lookup("shop-1", "+14155550001").Marketing {
		t.Fatal("a state recorded before the set started is not loaded")
	}
	for i := range 20 {
		num := fmt.Sprintf("+1415555%04d", 100+i)
		if _, _, _, err := a.ledger.Record(ctx, Event{Tenant: "shop-1", Number: num, Kind: consent.OptOut, Scope: consent.ScopeAll, Method: MethodKeyword}); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		for i := range 20 {
			if st := b.set.Lookup("shop-1", fmt.Sprintf("+1415555%04d", 100+i)); !st.OptedOut {
				return fmt.Errorf("number %d not opted out on the other instance", i)
			}
		}
		return nil
	})
	// START on b reaches a.
	if _, _, _, err := b.ledger.Record(ctx, Event{Tenant: "shop-1", Number: "+14155550100", Kind: consent.OptIn, Scope: consent.ScopeAll, Method: MethodKeyword}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if st := a.set.Lookup("shop-1", "+14155550100"); st.OptedOut {
			return errors.New("START not seen on the other instance")
		}
		return nil
	})
}

// TestRepublish: a state committed whose publish never happened (the
// process died in between) is published by Run.
func TestRepublish(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	a, b := e.start(t, ctx), e.start(t, ctx)
	ev, err := Event{Tenant: "shop-1", Number: number, Kind: consent.OptOut, Scope: consent.ScopeAll, Method: MethodAgent}.check(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, a.ledger.pool, func(tx pgx.Tx) error {
		_, _, _, err := a.ledger.record(ctx, tx, ev)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if !b.set.Lookup("shop-1", number).OptedOut {
			return errors.New("unpublished opt-out not republished")
		}
		return nil
	})
}

// TestSetAppliesNewerOnly: records may come twice or out of order; the
// set keeps the newest version.
func TestSetAppliesNewerOnly(t *testing.T) {
	t.Parallel()
	s := &Set{hash: NewHasher(testSecret)}
	for i := range s.shards {
		s.shards[i].m = map[Key]entry{}
	}
	k := s.hash.Key("shop-1", number)
	out := consent.State{OptedOut: true, OptOutScope: consent.ScopeAll}.Bits()
	s.apply(k, out, 3)
	s.apply(k, 0, 2) // older, late
	s.apply(k, 0, 3) // a duplicate of 3 with other bits cannot happen; the first stays
	if !s.LookupKey(k).OptedOut {
		t.Fatal("an older record overwrote a newer one")
	}
	s.apply(k, 0, 4)
	if s.LookupKey(k).OptedOut {
		t.Fatal("a newer record was ignored")
	}
}

// TestRefusalInSQL: consent_refusal, the check a ledger statement can
// make in the same round trip, agrees with core/consent.Decide for every
// state and category.
func TestRefusalInSQL(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := newEnv(t, ctx).start(t, ctx).ledger
	key := l.hash.Key("shop-1", number)
	for bits := range 256 {
		st := consent.FromBits(uint8(bits))
		if st.Bits() != uint8(bits) {
			continue // not a state Bits produces
		}
		if _, err := l.pool.Exec(ctx, `INSERT INTO consent_state (key, tenant_id, bits) VALUES ($1, 'shop-1', $2)
			ON CONFLICT (key) DO UPDATE SET bits = excluded.bits`, key[:], int16(bits)); err != nil {
			t.Fatal(err)
		}
		for _, cat := range []core.Category{core.CategoryTransactional, core.CategoryMarketing, core.CategoryOTP} {
			var got *string
			if err := l.pool.QueryRow(ctx, `SELECT consent_refusal($1, $2)`, key[:], int16(cat)).Scan(&got); err != nil {
				t.Fatal(err)
			}
			want := consent.Decide(cat, st)
			if (got == nil) != (want == nil) || (got != nil && !strings.HasPrefix(want.Error(), "to: recipient "+*got) && !strings.HasPrefix(want.Error(), "to: "+*got)) {
				t.Errorf("state %+v, %v: SQL %v, Decide %v", st, cat, deref(got), want)
			}
		}
	}
	var got *string
	unknown := l.hash.Key("shop-1", "+14155550999")
	if err := l.pool.QueryRow(ctx, `SELECT consent_refusal($1, 2)`, unknown[:]).Scan(&got); err != nil || deref(got) != "no marketing consent" {
		t.Fatalf("unknown number, marketing: %v %v", deref(got), err)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
