package gateway

import (
	"net/netip"
	"sync"
	"time"
)

// maxBackoffKeys bounds the keys one backoff remembers: addresses and
// system_ids come from outside, so beyond it keys whose wait is long over
// are forgotten first, then any.
const maxBackoffKeys = 10_000

// backoff refuses a key (a client address or a system_id) for a while
// after a failed bind: base after the first failure in a row, doubling
// with each further one up to max. A key without failure for max after
// its wait ended starts afresh.
type backoff struct {
	base, max time.Duration

	mu   sync.Mutex
	keys map[string]*backoffKey
}

type backoffKey struct {
	failures int
	until    time.Time // no bind before
}

func newBackoff(base, max time.Duration) *backoff {
	return &backoff{base: base, max: max, keys: make(map[string]*backoffKey)}
}

// blocked reports whether key must wait at now.
func (b *backoff) blocked(key string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.keys[key]
	return k != nil && now.Before(k.until)
}

// failed records a failed bind of key at now.
func (b *backoff) failed(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.keys[key]
	if k == nil || b.forgotten(k, now) {
		if k == nil {
			b.makeRoom(now)
		}
		k = &backoffKey{}
		b.keys[key] = k
	}
	k.failures++
	wait := b.base
	for i := 1; i < k.failures && wait < b.max; i++ {
		wait *= 2
	}
	k.until = now.Add(min(wait, b.max))
}

// succeeded forgets key's failures.
func (b *backoff) succeeded(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.keys, key)
}

func (b *backoff) forgotten(k *backoffKey, now time.Time) bool {
	return now.After(k.until.Add(b.max))
}

// makeRoom keeps the keys under maxBackoffKeys; b.mu is held.
func (b *backoff) makeRoom(now time.Time) {
	if len(b.keys) < maxBackoffKeys {
		return
	}
	for key, k := range b.keys {
		if b.forgotten(k, now) {
			delete(b.keys, key)
		}
	}
	for key := range b.keys {
		if len(b.keys) < maxBackoffKeys {
			return
		}
		delete(b.keys, key)
	}
}

// len returns how many keys b remembers.
func (b *backoff) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.keys)
}

// addrKey is the backoff key of a client address: the address itself
// for IPv4, its /64 for IPv6, where one client holds a whole /64.
func addrKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
