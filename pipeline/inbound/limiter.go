package inbound

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Flood limits per number: what tern sends back, and how many non-keyword
// texts it stores. A number's replies share one MO partition, so one
// instance sees all of them and its limits are the number's.
const (
	replyRate      = rate.Limit(1.0 / 10) // one reply every 10 s after the burst
	replyBurst     = 5
	storeRate      = rate.Limit(1)
	storeBurst     = 20
	maxLimited     = 100_000 // numbers tracked; the idlest are forgotten
	limiterIdleFor = 10 * time.Minute
)

// limiters holds a pair of token buckets per number.
type limiters struct {
	mu sync.Mutex
	m  map[string]*limiter
}

type limiter struct {
	reply, store *rate.Limiter
	seen         time.Time
}

func newLimiters() *limiters { return &limiters{m: map[string]*limiter{}} }

func (l *limiters) get(number string, now time.Time) *limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	x, ok := l.m[number]
	if !ok {
		if len(l.m) >= maxLimited {
			for k, v := range l.m {
				if now.Sub(v.seen) > limiterIdleFor {
					delete(l.m, k)
				}
			}
			if len(l.m) >= maxLimited { // all busy: start over rather than grow
				clear(l.m)
			}
		}
		x = &limiter{reply: rate.NewLimiter(replyRate, replyBurst), store: rate.NewLimiter(storeRate, storeBurst)}
		l.m[number] = x
	}
	x.seen = now
	return x
}

// reply tells whether tern may answer number now.
func (l *limiters) reply(number string, now time.Time) bool {
	return l.get(number, now).reply.AllowN(now, 1)
}

// store tells whether a non-keyword text from number may be stored now.
func (l *limiters) store(number string, now time.Time) bool {
	return l.get(number, now).store.AllowN(now, 1)
}
