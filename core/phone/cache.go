package phone

import (
	"hash/maphash"
	"sync"
)

const cacheShards = 16

// maxCachedInput bounds the input a Cache keeps: Inspect refuses numbers
// longer once trimmed, and the region is an ISO 3166-1 code.
const (
	maxCachedInput  = 64
	maxCachedRegion = 3
)

// Cache remembers the numbers recently parsed as valid, so the same
// recipients cost one parse. It holds at most about the size given to
// NewCache; when a shard fills up, its older half is forgotten (two
// generations: a hit in the old one moves the entry to the new one, so hot
// numbers stay). Input it would not keep is parsed every time: longer
// than maxCachedInput (looked at before anything else), not a number, or
// not a valid one. So what a caller sends can fill it only with valid
// numbers of a few bytes each. Safe for concurrent use.
type Cache struct {
	seed   maphash.Seed
	max    int // entries per generation per shard
	shards [cacheShards]cacheShard
}

type cacheKey struct{ raw, region string }

type cacheEntry struct {
	n Number
}

type cacheShard struct {
	mu       sync.Mutex
	cur, old map[cacheKey]cacheEntry
}

// NewCache returns a cache for about size numbers (at least 16).
func NewCache(size int) *Cache {
	per := max(size/(2*cacheShards), 1)
	c := &Cache{seed: maphash.MakeSeed(), max: per}
	for i := range c.shards {
		c.shards[i].cur = make(map[cacheKey]cacheEntry, per)
	}
	return c
}

// Parse is Parse through the cache.
func (c *Cache) Parse(raw, defaultRegion string) (Number, error) {
	n, err := c.Inspect(raw, defaultRegion)
	if err != nil {
		return Number{}, err
	}
	if !n.Valid {
		return Number{}, invalid(n)
	}
	return n, nil
}

// Inspect is Inspect through the cache.
func (c *Cache) Inspect(raw, defaultRegion string) (Number, error) {
	if len(raw) > maxCachedInput || len(defaultRegion) > maxCachedRegion {
		return Inspect(raw, defaultRegion)
	}
	k := cacheKey{raw, defaultRegion}
	s := &c.shards[maphash.String(c.seed, raw)%cacheShards]
	s.mu.Lock()
	e, ok := s.cur[k]
	if !ok {
		if e, ok = s.old[k]; ok {
			s.put(k, e, c.max)
		}
	}
	s.mu.Unlock()
	if ok {
		return e.n, nil
	}
	n, err := Inspect(raw, defaultRegion)
	if err != nil || !n.Valid {
		return n, err
	}
	s.mu.Lock()
	s.put(k, cacheEntry{n}, c.max)
	s.mu.Unlock()
	return n, nil
}

func (s *cacheShard) put(k cacheKey, e cacheEntry, max int) {
	if len(s.cur) >= max {
		s.old, s.cur = s.cur, make(map[cacheKey]cacheEntry, max)
	}
	s.cur[k] = e
}
