package pipeline

import (
	"crypto/rand"
	"sync"
	"time"

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
	id  string // tells these limits' turns from other instances' and earlier runs'

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
	return &Limits{cfg: perTenant, id: rand.Text(), share: 1, limiters: map[string]*scaled{}}
}

// Turn names these limits in a message put aside for its turn, so that
// Holds knows it when it comes back. It is "" for nil limits.
func (l *Limits) Turn() string {
	if l == nil {
		return ""
	}
	return l.id
}

// Holds tells whether turn, a message's Turn from when it was put aside,
// was given by these limits: the message has had its turn and goes
// without another. Turns from another instance, or from before a restart,
// are not held here, and the message is charged again.
func (l *Limits) Holds(turn string) bool {
	return l != nil && turn != "" && turn == l.id
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

// Reserve takes one turn of tenant's limit and of its sender id's, and
// says how long from now the message must wait for both. cancel gives the
// turns back (for a message that does not go after all), once however
// often it is called; it is a no-op when the tenant has no limits.
func (l *Limits) Reserve(tenant, sender string) (wait time.Duration, cancel func()) {
	cancel = func() {}
	if l == nil {
		return 0, cancel
	}
	cfg, ok := l.cfg[tenant]
	if !ok {
		return 0, cancel
	}
	now := time.Now()
	var rs []*rate.Reservation
	if cfg.Rate > 0 {
		rs = append(rs, l.limiter("t\x00"+tenant, cfg.Rate).ReserveN(now, 1))
	}
	if cfg.SenderRate > 0 {
		rs = append(rs, l.limiter("s\x00"+tenant+"\x00"+sender, cfg.SenderRate).ReserveN(now, 1))
	}
	for _, r := range rs {
		// One turn never exceeds the burst, which is at least one.
		wait = max(wait, r.DelayFrom(now))
	}
	canceled := false
	return wait, func() {
		if canceled {
			return
		}
		canceled = true
		for _, r := range rs {
			r.CancelAt(time.Now())
		}
	}
}
