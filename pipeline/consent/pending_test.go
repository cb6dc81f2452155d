package consent

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
)

// TestDoubleOptIn: a requested opt-in grants nothing until the number
// confirms; a replayed confirmation is an error, a redelivered one
// (same dedupe) the first answer; an expired one is refused.
func TestDoubleOptIn(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := newEnv(t, ctx).start(t, ctx)
	l := a.ledger
	req := Event{Tenant: "shop-1", Number: number, Source: "https://shop.example/join", Disclosure: "join-v2", IP: "198.51.100.4"}
	p, err := l.RequestDoubleOptIn(ctx, req, time.Hour)
	if err != nil || !p.Fresh {
		t.Fatalf("RequestDoubleOptIn = %+v, %v", p, err)
	}
	again, err := l.RequestDoubleOptIn(ctx, req, time.Hour)
	if err != nil || again.Fresh || again.ID != p.ID {
		t.Fatalf("second request = %+v, %v; want the waiting one, not fresh", again, err)
	}
	if until, ok, err := l.PendingUntil(ctx, "shop-1", number); err != nil || !ok || !until.Equal(p.Expires) {
		t.Fatalf("PendingUntil = %v %v %v", until, ok, err)
	}
	if err := consent.Decide(core.CategoryMarketing, a.set.Lookup("shop-1", number)); !errors.Is(err, consent.ErrNoMarketingConsent) {
		t.Fatalf("marketing before confirmation: %v", err)
	}
	if _, _, _, err := l.Confirm(ctx, "shop-2", number, "", ""); !errors.Is(err, ErrNoPending) {
		t.Fatalf("another tenant's confirmation: %v", err)
	}
	rec, st, dup, err := l.Confirm(ctx, "shop-1", number, `reply "YES"`, "mo:tern.mo/0/7")
	if err != nil || dup || !st.Marketing {
		t.Fatalf("Confirm = %+v, %+v, %v, %v", rec, st, dup, err)
	}
	if rec.Method != MethodDoubleOptIn || rec.Source != req.Source || rec.Disclosure != "join-v2" || rec.IP != "198.51.100.4" || rec.Detail != `reply "YES"` {
		t.Fatalf("confirmed event %+v", rec)
	}
	if err := consent.Decide(core.CategoryMarketing, a.set.Lookup("shop-1", number)); err != nil {
		t.Fatalf("marketing after confirmation: %v", err)
	}
	if again, _, dup, err := l.Confirm(ctx, "shop-1", number, "", "mo:tern.mo/0/7"); err != nil || !dup || again.ID != rec.ID {
		t.Fatalf("redelivered confirmation = %+v, %v, %v; want the first", again, dup, err)
	}
	if _, _, _, err := l.Confirm(ctx, "shop-1", number, "", "mo:tern.mo/0/8"); !errors.Is(err, ErrNoPending) {
		t.Fatalf("replayed confirmation: %v, want ErrNoPending", err)
	}
	// Expiry: the clock moves past the TTL.
	other := "+14155550124"
	if _, err := l.RequestDoubleOptIn(ctx, Event{Tenant: "shop-1", Number: other}, time.Hour); err != nil {
		t.Fatal(err)
	}
	l.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, _, _, err := l.Confirm(ctx, "shop-1", other, "", ""); !errors.Is(err, ErrExpired) {
		t.Fatalf("late confirmation: %v, want ErrExpired", err)
	}
	if a.set.Lookup("shop-1", other).Marketing {
		t.Fatal("an expired double opt-in granted consent")
	}
	if _, err := l.RequestDoubleOptIn(ctx, Event{Tenant: "shop-1", Number: other, Scope: consent.ScopeAll}, time.Hour); err == nil {
		t.Fatal("a double opt-in to all accepted")
	}
}

// BenchmarkSetMemory reports what the set costs per number: go test
// -run '^$' -bench SetMemory ./pipeline/consent.
func BenchmarkSetMemory(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := &Set{hash: NewHasher(testSecret)}
		for i := range s.shards {
			s.shards[i].m = map[Key]entry{}
		}
		for i := range n {
			s.apply(s.hash.Key("shop-1", fmt.Sprintf("+1415%07d", i)), 1, 1)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/number")
		runtime.KeepAlive(s)
	}
}

// BenchmarkLookup is the hot path's cost per message.
func BenchmarkLookup(b *testing.B) {
	s := &Set{hash: NewHasher(testSecret)}
	for i := range s.shards {
		s.shards[i].m = map[Key]entry{}
	}
	for i := range 10_000 {
		s.apply(s.hash.Key("shop-1", fmt.Sprintf("+1415%07d", i)), 1, 1)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Lookup("shop-1", "+14150000042")
	}
}

// TestKeyIsHMAC: the inline Key is HMAC-SHA-256 of the subkey, as
// crypto/hmac computes it, for short and long inputs.
func TestKeyIsHMAC(t *testing.T) {
	t.Parallel()
	h := NewHasher(testSecret)
	for _, tenant := range []string{"shop-1", string(make([]byte, 200))} {
		m := hmac.New(sha256.New, h.sub)
		m.Write([]byte(tenant + "\x00" + number))
		if got, want := h.Key(tenant, number), Key(m.Sum(nil)[:16]); got != want {
			t.Fatalf("Key(%d-byte tenant) = %x, want %x", len(tenant), got, want)
		}
	}
	if h.Key("shop-1", number) == NewHasher([]byte("other")).Key("shop-1", number) {
		t.Fatal("two secrets give one key")
	}
}
