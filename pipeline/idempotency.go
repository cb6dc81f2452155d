package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/gsm"
)

// keyClaim is one request's claim on its idempotency key.
type keyClaim struct {
	tenant, key string
	sha         [sha256.Size]byte
	id          string
	segments    int
	encoding    gsm.Encoding
}

// claimed is what a claim found.
type claimed struct {
	fresh    bool // the key was free and is now this request's
	conflict bool // the key belongs to a different request
	queued   bool // the key's message is known to be in Kafka
	id       string
	segments int
	encoding gsm.Encoding
	// err, wrapping ErrUnstorable, says the database refused this claim's
	// values; the other claims are answered all the same.
	err error
}

// requestSHA fingerprints what makes two sends the same message. A send
// time and a validity count only when set, so a request without them has
// the fingerprint it had before they were fields.
func requestSHA(c checked) [sha256.Size]byte {
	h := sha256.New()
	for _, f := range []string{c.to.E164, c.From, c.Body, c.CampaignID, strconv.Itoa(int(c.Category))} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	if !c.SendAt.IsZero() {
		h.Write([]byte("send_at=" + strconv.FormatInt(c.SendAt.UnixNano(), 10)))
		h.Write([]byte{0})
	}
	if c.Validity != 0 {
		h.Write([]byte("validity=" + strconv.FormatInt(int64(c.Validity), 10)))
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

const claimSQL = `
WITH ins AS (
	INSERT INTO idempotency_keys (tenant_id, key, request_sha, message_id, segments, encoding)
	VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT (tenant_id, key) DO NOTHING
	RETURNING message_id, request_sha, segments, encoding, queued, true AS fresh
)
SELECT * FROM ins
UNION ALL
SELECT message_id, request_sha, segments, encoding, queued, false
FROM idempotency_keys
WHERE tenant_id = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM ins)`

// claimKeys claims each request's idempotency key in one round trip.
// Callers pass distinct (tenant, key) pairs. A claim the database refuses
// for its values gets its own error (claimed.err) and the others go on;
// the round trip is then made again claim by claim to find it.
func (s *Store) claimKeys(ctx context.Context, cs []keyClaim) ([]claimed, error) {
	out := make([]claimed, len(cs))
	pending := make([]int, len(cs))
	for i := range cs {
		pending[i] = i
	}
	// A key inserted by a concurrent request after this statement's
	// snapshot is neither inserted nor visible: ask again for those.
	for round := 0; len(pending) > 0; round++ {
		if round == 3 {
			return nil, fmt.Errorf("claim idempotency keys: still contended after %d rounds", round)
		}
		again, err := s.claimRound(ctx, cs, pending, out)
		if err != nil && len(pending) > 1 && dataError(err) {
			again, err = nil, nil
			for _, i := range pending {
				a, err := s.claimRound(ctx, cs, []int{i}, out)
				if err != nil && !dataError(err) {
					return nil, err
				}
				out[i].err = unstorable(err)
				again = append(again, a...)
			}
		}
		if err != nil && dataError(err) {
			out[pending[0]].err, again = unstorable(err), nil // the one pending claim
		} else if err != nil {
			return nil, err
		}
		pending = again
	}
	return out, nil
}

// claimRound runs the claims of cs at pending in one round trip, one
// implicit transaction, and fills out. It returns the claims to ask again.
func (s *Store) claimRound(ctx context.Context, cs []keyClaim, pending []int, out []claimed) (again []int, err error) {
	var b pgx.Batch
	for _, i := range pending {
		c := cs[i]
		b.Queue(claimSQL, c.tenant, c.key, c.sha[:], c.id, c.segments, int16(c.encoding))
	}
	res := s.pool.SendBatch(ctx, &b)
	defer res.Close()
	for _, i := range pending {
		var got claimed
		var sha []byte
		var enc int16
		err := res.QueryRow().Scan(&got.id, &sha, &got.segments, &enc, &got.queued, &got.fresh)
		if err == pgx.ErrNoRows {
			again = append(again, i)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("claim idempotency keys: %w", err)
		}
		got.encoding = gsm.Encoding(enc)
		got.conflict = !bytes.Equal(sha, cs[i].sha[:])
		out[i] = got
	}
	if err := res.Close(); err != nil {
		return nil, fmt.Errorf("claim idempotency keys: %w", err)
	}
	return again, nil
}

// markQueued records that the keys' messages are durable in Kafka.
func (s *Store) markQueued(ctx context.Context, cs []keyClaim) error {
	if len(cs) == 0 {
		return nil
	}
	tenants, keys := make([]string, len(cs)), make([]string, len(cs))
	for i, c := range cs {
		tenants[i], keys[i] = c.tenant, c.key
	}
	_, err := s.pool.Exec(ctx, `
UPDATE idempotency_keys k SET queued = true
FROM unnest($1::text[], $2::text[]) AS x(t, k)
WHERE k.tenant_id = x.t AND k.key = x.k AND NOT k.queued`, tenants, keys)
	if err != nil {
		return fmt.Errorf("mark idempotency keys queued: %w", err)
	}
	return nil
}
