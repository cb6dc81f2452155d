package consent

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// setShards spreads the set over locks, so readers on many cores do not
// share one.
const setShards = 64

// entry is one number's state in memory: 8 bytes beside its 16-byte key.
type entry struct {
	version uint32
	bits    uint8
}

// Set is every number's consent state in memory, for the hot path:
// Lookup reads no database. It is loaded from PostgreSQL at start and
// then follows the suppressions topic (Run). Safe for concurrent use.
type Set struct {
	hash   *Hasher
	shards [setShards]struct {
		mu sync.RWMutex
		m  map[Key]entry
	}
	cl      *kgo.Client
	log     *slog.Logger
	applied atomic.Int64 // records applied from the topic, for tests and metrics
}

// NewSet loads this instance's set and makes it the ledger's local set
// (its own writes apply at once). It notes the topic's end offsets
// first, then reads every state from PostgreSQL, and Run tails the topic
// from those offsets: a change committed before the load is in it, one
// published after the offsets were noted comes from the topic, and one
// in both applies once, by version.
func (l *Ledger) NewSet(ctx context.Context) (*Set, error) {
	s, err := newSet(ctx, l.pool, l.hash, l.topic, l.log)
	if err != nil {
		return nil, err
	}
	l.local.Store(s)
	return s, nil
}

func newSet(ctx context.Context, pool *pgxpool.Pool, h *Hasher, c TopicConfig, log *slog.Logger) (*Set, error) {
	s := &Set{hash: h, log: log}
	for i := range s.shards {
		s.shards[i].m = map[Key]entry{}
	}
	admin, err := kgo.NewClient(c.opts()...)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	ends, err := endOffsets(ctx, admin, c.Topic)
	admin.Close()
	if err != nil {
		return nil, err
	}
	if err := s.load(ctx, pool); err != nil {
		return nil, err
	}
	offsets := map[int32]kgo.Offset{}
	for p, o := range ends {
		offsets[p] = kgo.NewOffset().At(o)
	}
	s.cl, err = kgo.NewClient(c.opts(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{c.Topic: offsets}),
		kgo.FetchMaxWait(100*time.Millisecond),
	)...)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer for %s: %w", c.Topic, err)
	}
	return s, nil
}

// load reads every state row.
func (s *Set) load(ctx context.Context, pool *pgxpool.Pool) error {
	rows, err := pool.Query(ctx, `SELECT key, bits, version FROM consent_state`)
	if err != nil {
		return fmt.Errorf("load consent states: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key []byte
		var bits int16
		var version int64
		if err := rows.Scan(&key, &bits, &version); err != nil {
			return fmt.Errorf("load consent states: %w", err)
		}
		if len(key) == len(Key{}) {
			s.apply(Key(key), uint8(bits), version)
		}
	}
	return rows.Err()
}

// Run follows the topic until ctx ends, then closes its client.
func (s *Set) Run(ctx context.Context) error {
	defer s.cl.Close()
	for {
		fs := s.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fs.EachError(func(topic string, p int32, err error) {
			s.log.Warn("suppressions fetch", "topic", topic, "partition", p, "err", err)
		})
		fs.EachRecord(func(r *kgo.Record) {
			var rec recordv1.Suppression
			if err := proto.Unmarshal(r.Value, &rec); err != nil || len(rec.Key) != len(Key{}) {
				s.log.Error("undecodable suppression record", "partition", r.Partition, "offset", r.Offset, "err", err)
				return
			}
			s.apply(Key(rec.Key), uint8(rec.Bits), rec.Version)
			s.applied.Add(1)
		})
	}
}

// apply sets key's state unless the set holds a newer version.
func (s *Set) apply(key Key, bits uint8, version int64) {
	sh := &s.shards[key[0]%setShards]
	v := uint32(min(version, int64(^uint32(0))))
	sh.mu.Lock()
	if cur, ok := sh.m[key]; !ok || cur.version < v {
		sh.m[key] = entry{version: v, bits: bits}
	}
	sh.mu.Unlock()
}

// Lookup returns the state of number (E.164) for tenant; the zero State
// when tern has no record of it.
func (s *Set) Lookup(tenant, number string) consent.State {
	return s.LookupKey(s.hash.Key(tenant, number))
}

// Key is number's (E.164) key for tenant, as Lookup and the consent
// ledger's state table know it.
func (s *Set) Key(tenant, number string) Key { return s.hash.Key(tenant, number) }

// LookupKey is Lookup by key.
func (s *Set) LookupKey(key Key) consent.State {
	sh := &s.shards[key[0]%setShards]
	sh.mu.RLock()
	e := sh.m[key]
	sh.mu.RUnlock()
	return consent.FromBits(e.bits)
}

// Len is how many numbers the set holds.
func (s *Set) Len() int {
	n := 0
	for i := range s.shards {
		s.shards[i].mu.RLock()
		n += len(s.shards[i].m)
		s.shards[i].mu.RUnlock()
	}
	return n
}

// Check is the send check the intake and the partition actor make: nil
// when a message of category cat and origin may go to number (E.164) for
// tenant, else a *consent.Refusal (core/consent.Decide). tern's own
// consent messages (core/consent.IsExempt) always pass.
func (s *Set) Check(tenant, number string, cat core.Category, origin string) error {
	if consent.IsExempt(origin) {
		return nil
	}
	return consent.Decide(cat, s.Lookup(tenant, number))
}
