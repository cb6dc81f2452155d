package pipeline

import (
	"context"
	"sync"

	"golang.org/x/time/rate"
)

// TenantLimit caps a tenant's sending rate, in messages per second; zero
// fields are unlimited.
type TenantLimit struct {
	// Rate caps all of the tenant's messages.
	Rate float64
	// SenderRate caps each of the tenant's sender ids.
	SenderRate float64
}

// Limits holds the per-tenant and per-sender-id rate limiters one instance
// shares among its partition actors. The carrier's own TPS cap lives in
// the carrier connection, not here.
//
// With several instances, each applies limit × share, where share is the
// part of the submit topic's partitions it consumes (its partitions ÷ all
// partitions), so together they keep the configured limit while the
// traffic is spread evenly over partitions.
type Limits struct {
	cfg map[string]TenantLimit

	mu       sync.Mutex
	share    float64
	limiters map[string]*scaled
}

type scaled struct {
	base float64
	l    *rate.Limiter
}

// NewLimits returns limits per tenant id.
func NewLimits(perTenant map[string]TenantLimit) *Limits {
	return &Limits{cfg: perTenant, share: 1, limiters: map[string]*scaled{}}
}

// SetShare sets the part of the configured limits this instance takes.
func (l *Limits) SetShare(share float64) {
	if l == nil || share <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.share = share
	for _, s := range l.limiters {
		s.l.SetLimit(rate.Limit(s.base * share))
		s.l.SetBurst(burst(s.base * share))
	}
}

// burst lets one second's worth through at once, at least one message.
func burst(r float64) int { return max(1, int(r)) }

func (l *Limits) limiter(key string, base float64) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.limiters[key]
	if s == nil {
		s = &scaled{base: base, l: rate.NewLimiter(rate.Limit(base*l.share), burst(base*l.share))}
		l.limiters[key] = s
	}
	return s.l
}

// Wait blocks until tenant and its sender id may send one more message,
// or ctx ends.
func (l *Limits) Wait(ctx context.Context, tenant, sender string) error {
	if l == nil {
		return nil
	}
	cfg, ok := l.cfg[tenant]
	if !ok {
		return nil
	}
	if cfg.Rate > 0 {
		if err := l.limiter("t\x00"+tenant, cfg.Rate).Wait(ctx); err != nil {
			return err
		}
	}
	if cfg.SenderRate > 0 {
		if err := l.limiter("s\x00"+tenant+"\x00"+sender, cfg.SenderRate).Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}
