package analytics

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestReadLimiter: a tenant runs at most TenantReads report queries at
// once and starts TenantReadRate a second, refused at once beyond either,
// without holding up other tenants; all tenants together hold at most
// ReadConns connections, and wait for one when all are taken.
func TestReadLimiter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := newReadLimiter(Config{ReadConns: 3, TenantReads: 2, TenantReadRate: 1000})
	take := func(tenant string) func() {
		t.Helper()
		release, err := l.acquire(ctx, tenant)
		if err != nil {
			t.Fatalf("%s: %v", tenant, err)
		}
		return release
	}
	a1, a2 := take("a"), take("a")
	if _, err := l.acquire(ctx, "a"); !errors.Is(err, ErrReadLimited) {
		t.Fatalf("a third query of a: %v, want ErrReadLimited", err)
	}
	b1 := take("b")
	// Every connection is taken: b waits for one, until its ctx ends.
	short, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.acquire(short, "b"); !errors.Is(err, context.Canceled) {
		t.Fatalf("with every connection taken: %v, want to wait", err)
	}
	got := make(chan error, 1)
	go func() {
		release, err := l.acquire(ctx, "b")
		if err == nil {
			release()
		}
		got <- err
	}()
	a1()
	if err := <-got; err != nil {
		t.Fatalf("b once a connection is free: %v", err)
	}
	a2()
	b1()
	take("a")() // a's queries ended, so it may run again
}

func TestReadLimiterRate(t *testing.T) {
	t.Parallel()
	l := newReadLimiter(Config{ReadConns: 10, TenantReads: 10, TenantReadRate: 2})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, tt := range []struct {
		tenant string
		at     time.Duration
		ok     bool
	}{
		{"a", 0, true}, {"a", 0, true}, {"a", 0, false}, {"b", 0, true},
		{"a", 499 * time.Millisecond, false}, {"a", 500 * time.Millisecond, true},
	} {
		err := l.admit(tt.tenant, t0.Add(tt.at))
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrReadLimited)) {
			t.Fatalf("query %d of %s at %v: %v, want ok %v", i, tt.tenant, tt.at, err, tt.ok)
		}
		if err == nil {
			l.leave(tt.tenant)
		}
	}
}

func TestReadLimiterForgetsIdleTenants(t *testing.T) {
	t.Parallel()
	l := newReadLimiter(Config{ReadConns: 10, TenantReads: 10, TenantReadRate: 1})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 * pruneTenantsAt {
		if err := l.admit(fmt.Sprint(i), t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
		l.leave(fmt.Sprint(i))
	}
	if n := len(l.tenants); n > pruneTenantsAt+1 {
		t.Fatalf("%d tenants remembered, want at most %d", n, pruneTenantsAt+1)
	}
}
