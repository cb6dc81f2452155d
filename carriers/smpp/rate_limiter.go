package smpp

import (
	"sync"
	"sync/atomic"
	"time"
)

// Rate adaptation constants (see rateLimiter).
const (
	// rateBurst is how far, in time, sends may run ahead of the even
	// schedule after a pause, until the carrier first throttles; from
	// then on sends are evenly spaced.
	rateBurst = 10 * time.Millisecond
	// capHeadroom keeps the schedule, bursts included, within the cap in
	// every one-second window.
	capHeadroom = 0.99
	// decreaseFactor is the multiplicative decrease after a throttle,
	// applied to the rate the carrier actually accepted over the last
	// second; before a full second of acceptances says what that is, the
	// rate halves instead (probeFactor).
	decreaseFactor = 0.9
	probeFactor    = 0.5
	// recoverShare is the share of the way back to the rate of the last
	// throttle that a quiet second regains, when that beats the additive
	// increase.
	recoverShare = 0.3
	// probeShare is the growth a quiet second brings while the rate the
	// carrier takes is unknown: the last throttle came before a full
	// second of acceptances could say.
	probeShare = 1.0
	// reliableCount is the least acceptances a second's measure needs.
	reliableCount = 3
	// increaseShare is the additive increase per second, as a share of
	// the current rate; it doubles for every increaseQuiet without a
	// throttle, up to maxIncreaseShare.
	increaseShare    = 0.02
	increaseQuiet    = 10 * time.Second
	maxIncreaseShare = 0.25
	// minRate is the floor of the adapted rate, in submits a second;
	// minStep the least additive increase.
	minRate = 1.0
	minStep = 0.1
	// fallbackRate is where adaptation starts when the carrier throttles
	// before it accepted anything and no cap is configured.
	fallbackRate = 10.0
)

// rateLimiter spaces the submits of all binds of a carrier so that no
// one-second window holds more than the carrier's TPS cap, and adapts
// below the cap when the carrier throttles: additive increase,
// multiplicative decrease (AIMD).
//
// A throttle answer to a submit sent after the last decrease sets the
// rate to decreaseFactor times what the carrier accepted in the last
// second (or the current rate, if lower); later answers to submits sent
// before that decrease are the same overload and change nothing. Every
// second in which senders had to wait and nothing was throttled, the rate
// grows by increaseShare, faster the longer throttling stays away, up to
// the cap; below the rate of the last throttle it regains recoverShare of
// the gap a second when that is more. Until a throttle comes with a full
// second of acceptances to measure (just after start, typically), a
// throttle halves the rate and quiet seconds double it.
type rateLimiter struct {
	cap float64 // effective TPS cap; 0 means none

	// free is set while no limit applies: no cap and never throttled.
	free atomic.Bool

	mu           sync.Mutex
	rate         float64   // the limit now; 0 means none
	next         time.Time // the even schedule's next slot
	waited       bool      // a send waited since lastIncrease
	smooth       bool      // no bursts: the carrier throttled once
	ceiling      float64   // the rate of the last throttle
	probing      bool      // the last decrease had nothing to measure
	lastIncrease time.Time
	lastDecrease time.Time
	lastThrottle time.Time
	meter        rateMeter
}

func newRateLimiter(tps float64) *rateLimiter {
	l := &rateLimiter{}
	if tps > 0 {
		l.cap = tps * capHeadroom
		l.rate = l.cap
	} else {
		l.free.Store(true)
	}
	l.lastIncrease = time.Now()
	return l
}

// reserve takes the next send slot and returns how long to wait for it.
func (l *rateLimiter) reserve() time.Duration {
	if l.free.Load() {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.grow(now)
	if l.rate == 0 {
		return 0
	}
	interval := time.Duration(float64(time.Second) / l.rate)
	t := l.next
	burst := rateBurst
	if l.smooth {
		burst = 0
	}
	if earliest := now.Add(-burst); t.Before(earliest) {
		t = earliest
	}
	l.next = t.Add(interval)
	if !t.After(now) {
		return 0
	}
	l.waited = true
	return t.Sub(now)
}

// grow applies the additive increase once a second; l.mu is held.
func (l *rateLimiter) grow(now time.Time) {
	if now.Sub(l.lastIncrease) < time.Second {
		return
	}
	if l.waited && l.rate > 0 && now.Sub(l.lastThrottle) >= time.Second {
		share := increaseShare
		for quiet := now.Sub(l.lastThrottle); quiet >= increaseQuiet && share < maxIncreaseShare; quiet -= increaseQuiet {
			share = min(2*share, maxIncreaseShare)
		}
		if l.probing {
			share = probeShare
		}
		l.rate += max(minStep, l.rate*share, (l.ceiling-l.rate)*recoverShare)
		if l.cap > 0 && l.rate > l.cap {
			l.rate = l.cap
		}
	}
	l.lastIncrease, l.waited = now, false
}

// accepted counts a submit the carrier took.
func (l *rateLimiter) accepted() {
	l.mu.Lock()
	l.meter.add(time.Now())
	l.mu.Unlock()
}

// throttled applies a throttle answer to a submit sent at sentAt and
// reports whether it lowered the rate.
func (l *rateLimiter) throttled(sentAt time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.lastThrottle = now
	if sentAt.Before(l.lastDecrease) {
		return false
	}
	base := l.rate
	n, span := l.meter.count(now)
	if n >= reliableCount && span >= time.Second {
		got := float64(n) / span.Seconds()
		if base == 0 || got < base {
			base = got
		}
		l.ceiling = max(l.rate, got)
		l.rate, l.probing = max(minRate, base*decreaseFactor), false
	} else {
		if base == 0 && n > 0 {
			base = float64(n) / max(span, 100*time.Millisecond).Seconds()
		}
		if base == 0 {
			base = fallbackRate
		}
		l.ceiling = base
		l.rate, l.probing = max(minRate, base*probeFactor), true
	}
	l.lastDecrease, l.lastIncrease, l.waited, l.smooth = now, now, false, true
	l.free.Store(false)
	return true
}

// current returns the limit now, 0 when none applies.
func (l *rateLimiter) current() float64 {
	if l.free.Load() {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate
}

// rateMeter counts events in the last second, in tenths.
type rateMeter struct {
	first   time.Time
	buckets [10]struct {
		tick  int64
		count int
	}
}

const meterTick = int64(100 * time.Millisecond)

func (m *rateMeter) add(now time.Time) {
	if m.first.IsZero() {
		m.first = now
	}
	tick := now.UnixNano() / meterTick
	b := &m.buckets[tick%int64(len(m.buckets))]
	if b.tick != tick {
		b.tick, b.count = tick, 0
	}
	b.count++
}

// count returns the events of the last second and the time they span: a
// second, or less when the first event came less than a second ago.
func (m *rateMeter) count(now time.Time) (int, time.Duration) {
	if m.first.IsZero() {
		return 0, 0
	}
	tick := now.UnixNano() / meterTick
	n := 0
	for _, b := range m.buckets {
		if b.tick > tick-int64(len(m.buckets)) && b.tick <= tick {
			n += b.count
		}
	}
	return n, min(now.Sub(m.first), time.Second)
}
