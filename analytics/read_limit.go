package analytics

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pruneTenantsAt is how many tenants the read limiter remembers before
// it forgets the idle ones.
const pruneTenantsAt = 1024

// readLimiter keeps report queries fair. Each tenant runs at most
// perTenant at once and starts at most rate a second; a query beyond
// either fails at once. All tenants together hold at most cap(slots)
// connections, waiting for one when all are taken, so the writer keeps
// the rest of the pool and no tenant can take all of it.
type readLimiter struct {
	slots     chan struct{}
	perTenant int
	rate      rate.Limit
	burst     int

	mu      sync.Mutex
	tenants map[string]*tenantReads
}

// tenantReads is one tenant's running queries and turns.
type tenantReads struct {
	running int
	turns   *rate.Limiter
}

func newReadLimiter(c Config) *readLimiter {
	return &readLimiter{
		slots:     make(chan struct{}, c.ReadConns),
		perTenant: c.TenantReads,
		rate:      rate.Limit(c.TenantReadRate),
		burst:     max(1, int(math.Ceil(c.TenantReadRate))),
		tenants:   make(map[string]*tenantReads),
	}
}

// acquire admits one report query of tenant, or fails with
// ErrReadLimited, or with ctx's error when ctx ends before a connection is
// free. The caller calls release once the query is done.
func (l *readLimiter) acquire(ctx context.Context, tenant string) (release func(), err error) {
	if err := l.admit(tenant, time.Now()); err != nil {
		return nil, err
	}
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		l.leave(tenant)
		return nil, ctx.Err()
	}
	return func() {
		<-l.slots
		l.leave(tenant)
	}, nil
}

// admit counts a query of tenant as running when the tenant is within
// its limits.
func (l *readLimiter) admit(tenant string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.tenants[tenant]
	if t == nil {
		l.prune(now)
		t = &tenantReads{turns: rate.NewLimiter(l.rate, l.burst)}
		l.tenants[tenant] = t
	}
	if t.running >= l.perTenant {
		return fmt.Errorf("%w: at most %d at once; retry later", ErrReadLimited, l.perTenant)
	}
	if !t.turns.AllowN(now, 1) {
		return fmt.Errorf("%w: at most %v a second; retry later", ErrReadLimited, float64(l.rate))
	}
	t.running++
	return nil
}

func (l *readLimiter) leave(tenant string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tenants[tenant].running--
}

// prune forgets idle tenants, those with nothing running and every turn
// back, once many are remembered; l.mu is held.
func (l *readLimiter) prune(now time.Time) {
	if len(l.tenants) < pruneTenantsAt {
		return
	}
	for id, t := range l.tenants {
		if t.running == 0 && t.turns.TokensAt(now) >= float64(l.burst) {
			delete(l.tenants, id)
		}
	}
}
