package smscsim

import (
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// faults are the misbehaviours switched on now. A snapshot is read on
// every submit; the setters replace it whole.
type faults struct {
	latency, latencyP99 time.Duration
	throttleRate        float64
	throttleBurst       int
	errorRatio          float64
	errorStatus         smpp.CommandStatus
	errorUntil          time.Time // zero: until changed
	silent              bool
	dropEvery           time.Duration
}

// z99 is the standard normal quantile of 0.99.
const z99 = 2.3263478740408408

// drawLatency returns a submit's answer delay: Latency, or when
// LatencyP99 is above it, log-normal with median Latency and 99th
// percentile LatencyP99.
func (f *faults) drawLatency(r *lockedRand) time.Duration {
	if f.latencyP99 <= f.latency || f.latency <= 0 {
		return f.latency
	}
	sigma := math.Log(float64(f.latencyP99)/float64(f.latency)) / z99
	return time.Duration(float64(f.latency) * math.Exp(sigma*r.normFloat64()))
}

// injectError returns the status to answer a submit with instead of
// taking it, StatusOK when none.
func (f *faults) injectError(now time.Time, r *lockedRand) smpp.CommandStatus {
	if f.errorRatio <= 0 || (!f.errorUntil.IsZero() && now.After(f.errorUntil)) {
		return smpp.StatusOK
	}
	if r.float64() < f.errorRatio {
		return f.errorStatus
	}
	return smpp.StatusOK
}

// lockedRand is a seeded source shared by sessions.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newLockedRand(seed int64) *lockedRand {
	return &lockedRand{r: rand.New(rand.NewPCG(uint64(seed), 0x736d7363))}
}

func (l *lockedRand) float64() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Float64()
}

func (l *lockedRand) normFloat64() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.NormFloat64()
}

// tokenBucket admits rate events a second with bursts of burst.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// set changes the rate; 0 admits everything. The bucket starts full.
func (b *tokenBucket) set(rate float64, burst int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rate, b.burst = rate, float64(burst)
	b.tokens, b.last = b.burst, time.Now()
}

// take admits one event now, or reports that it exceeds the rate.
func (b *tokenBucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rate <= 0 {
		return true
	}
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// defaultBurst is a tenth of a second's worth of rate, at least 1.
func defaultBurst(rate float64) int {
	return max(1, int(math.Ceil(rate/10)))
}

// SetLatency sets the delay before each submit is answered: median, and
// when p99 is above it, a log-normal spread with that 99th percentile.
func (s *Server) SetLatency(median, p99 time.Duration) {
	s.updateFaults(func(f *faults) { f.latency, f.latencyP99 = median, p99 })
}

// SetThrottle answers ESME_RTHROTTLED to submits beyond rate a second
// across all sessions, allowing bursts of burst (0: a tenth of a second's
// worth). A rate of 0 stops throttling.
func (s *Server) SetThrottle(rate float64, burst int) {
	if burst <= 0 {
		burst = defaultBurst(rate)
	}
	s.updateFaults(func(f *faults) { f.throttleRate, f.throttleBurst = rate, burst })
	s.bucket.set(rate, burst)
}

// SetErrors answers a share ratio of submits with status instead of
// taking them, for d (0: until changed). A ratio of 0 stops it.
func (s *Server) SetErrors(ratio float64, status smpp.CommandStatus, d time.Duration) {
	var until time.Time
	if d > 0 {
		until = time.Now().Add(d)
	}
	s.updateFaults(func(f *faults) { f.errorRatio, f.errorStatus, f.errorUntil = ratio, status, until })
}

// SetSilent makes the simulator stop answering anything, enquire_link
// included, as a hung SMSC does: it keeps reading and counting submits
// but writes nothing. Switching it off drops the sessions that went
// silent, whose streams were cut mid-way.
func (s *Server) SetSilent(silent bool) {
	s.updateFaults(func(f *faults) { f.silent = silent })
	if !silent {
		s.dropSessions(func(h *session) bool { return h.nc.muted.Load() })
	}
}

// SetDropEvery drops every session each d, without unbind; 0 stops it.
func (s *Server) SetDropEvery(d time.Duration) {
	s.updateFaults(func(f *faults) { f.dropEvery = d })
	select {
	case s.dropChanged <- struct{}{}:
	default:
	}
}

// DropSessions closes every session now without unbind, as a crashed
// link would, and returns how many it closed.
func (s *Server) DropSessions() int {
	return s.dropSessions(func(*session) bool { return true })
}

func (s *Server) dropSessions(which func(*session) bool) int {
	s.mu.Lock()
	var drop []*session
	for h := range s.sessions {
		if which(h) {
			drop = append(drop, h)
		}
	}
	s.stats.Dropped += len(drop)
	s.mu.Unlock()
	for _, h := range drop {
		h.ss.Close()
	}
	return len(drop)
}

func (s *Server) updateFaults(change func(*faults)) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f := *s.faults.Load()
	change(&f)
	s.faults.Store(&f)
}

// dropLoop drops every session each DropEvery, until the server stops.
func (s *Server) dropLoop() {
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		if d := s.faults.Load().dropEvery; d > 0 {
			t.Reset(d)
		}
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-s.dropChanged:
			t.Stop()
		case <-t.C:
			if n := s.DropSessions(); n > 0 {
				s.log.Info("smsc simulator dropped sessions", "sessions", n)
			}
		}
	}
}
