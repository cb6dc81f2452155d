package api

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxLoginClients bounds how many client addresses loginLimiter tracks;
// past it, it forgets an arbitrary one for each new one.
const maxLoginClients = 10000

// loginLimiter limits login attempts per client address, on this
// instance: a token bucket per address. It complements the per-account
// lock, which holds across instances; together they bound guessing from
// one address at many accounts and from many addresses at one.
type loginLimiter struct {
	every time.Duration
	burst int

	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

func newLoginLimiter(perMinute, burst int) *loginLimiter {
	return &loginLimiter{every: time.Minute / time.Duration(perMinute), burst: burst, clients: map[string]*rate.Limiter{}}
}

// allow takes an attempt for the client at addr (host:port or host) and
// returns 0, or how long until it may try again.
func (l *loginLimiter) allow(addr string) time.Duration {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.clients[host]
	if !ok {
		if len(l.clients) >= maxLoginClients {
			l.forget()
		}
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.clients[host] = lim
	}
	r := lim.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return d
	}
	return 0
}

// forget drops the addresses whose buckets are full again, or when none
// is, one arbitrary address.
func (l *loginLimiter) forget() {
	now := time.Now()
	for host, lim := range l.clients {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.clients, host)
		}
	}
	for host := range l.clients {
		if len(l.clients) < maxLoginClients {
			return
		}
		delete(l.clients, host)
	}
}
