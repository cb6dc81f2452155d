package campaigns

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/link"
)

// maxAttempts bounds the codes tried for one recipient's link: the next
// is taken only when another recipient holds the previous, which at 59
// bits is rare even over billions of codes.
const maxAttempts = 8

// ensureLinks records the campaign's URLs by index.
func (s *Store) ensureLinks(ctx context.Context, tenant, id string, urls []string) error {
	if len(urls) == 0 {
		return nil
	}
	idx := make([]int32, len(urls))
	for i := range urls {
		idx[i] = int32(i)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO campaign_links (tenant_id, campaign_id, idx, url) SELECT $1, $2, * FROM unnest($3::int4[], $4::text[])
		ON CONFLICT DO NOTHING`, tenant, id, idx, urls)
	if err != nil {
		return fmt.Errorf("campaign links: %w", err)
	}
	return nil
}

// codes returns each contact's code for each of n links, stored: the
// same codes whenever it is asked again.
func (s *Store) codes(ctx context.Context, tenant, id string, contacts []int64, n int) (map[int64][]string, error) {
	out := make(map[int64][]string, len(contacts))
	type want struct {
		contact int64
		idx     int
	}
	pending := make([]want, 0, len(contacts)*n)
	for _, c := range contacts {
		out[c] = make([]string, n)
		for i := range n {
			pending = append(pending, want{c, i})
		}
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt == maxAttempts {
			return nil, fmt.Errorf("link codes: no free code in %d attempts", maxAttempts)
		}
		codes, cs, idx := make([]string, len(pending)), make([]int64, len(pending)), make([]int32, len(pending))
		for i, w := range pending {
			codes[i], cs[i], idx[i] = s.coder.Code(id, w.contact, w.idx, attempt), w.contact, int32(w.idx)
		}
		if _, err := s.pool.Exec(ctx, `INSERT INTO link_codes (code, tenant_id, campaign_id, contact_id, idx)
			SELECT x.code, $1, $2, x.contact, x.idx FROM unnest($3::text[], $4::int8[], $5::int4[]) AS x(code, contact, idx)
			ON CONFLICT (code) DO NOTHING`, tenant, id, codes, cs, idx); err != nil {
			return nil, fmt.Errorf("link codes: %w", err)
		}
		mine, err := s.ownedCodes(ctx, tenant, id, codes)
		if err != nil {
			return nil, err
		}
		var again []want
		for i, w := range pending {
			if mine[codes[i]] == [2]int64{w.contact, int64(w.idx)} {
				out[w.contact][w.idx] = codes[i]
			} else {
				again = append(again, w)
			}
		}
		pending = again
	}
	return out, nil
}

// ownedCodes returns which of codes belong to the campaign, and to whom.
func (s *Store) ownedCodes(ctx context.Context, tenant, id string, codes []string) (map[string][2]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, contact_id, idx FROM link_codes WHERE code = ANY($1) AND tenant_id = $2 AND campaign_id = $3`,
		codes, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("link codes: %w", err)
	}
	defer rows.Close()
	mine := make(map[string][2]int64, len(codes))
	for rows.Next() {
		var code string
		var contact int64
		var idx int32
		if err := rows.Scan(&code, &contact, &idx); err != nil {
			return nil, fmt.Errorf("link codes: %w", err)
		}
		mine[code] = [2]int64{contact, int64(idx)}
	}
	return mine, rows.Err()
}

// Target is where a code leads and whose it is.
type Target struct {
	Tenant     string
	CampaignID string
	ContactID  int64
	Index      int
	URL        string
	// MessageID is the message the link was in; "" when not known yet.
	MessageID string
}

// Links resolves codes to their targets through a bounded cache: a code
// seen recently costs no database read, another one indexed lookup.
// Safe for concurrent use.
type Links struct {
	s      *Store
	seed   maphash.Seed
	shards [16]linkShard
	max    int // entries per shard generation
}

type linkShard struct {
	mu       sync.Mutex
	cur, old map[string]Target
}

// NewLinks returns a resolver caching about size codes.
func (s *Store) NewLinks(size int) *Links {
	l := &Links{s: s, seed: maphash.MakeSeed(), max: max(size/32, 16)}
	for i := range l.shards {
		l.shards[i].cur = map[string]Target{}
	}
	return l
}

// Resolve returns the target of code; ErrLinkNotFound for a code no
// campaign made.
func (l *Links) Resolve(ctx context.Context, code string) (Target, error) {
	if !link.Valid(code) {
		return Target{}, ErrLinkNotFound
	}
	sh := &l.shards[maphash.String(l.seed, code)%uint64(len(l.shards))]
	sh.mu.Lock()
	t, ok := sh.cur[code]
	if !ok {
		if t, ok = sh.old[code]; ok {
			sh.put(code, t, l.max)
		}
	}
	sh.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := l.s.target(ctx, code)
	if err != nil {
		return t, err
	}
	if t.MessageID != "" { // until its message is recorded, ask again
		sh.mu.Lock()
		sh.put(code, t, l.max)
		sh.mu.Unlock()
	}
	return t, nil
}

// put adds an entry; a full generation becomes the old one.
func (sh *linkShard) put(code string, t Target, max int) {
	if len(sh.cur) >= max {
		sh.old, sh.cur = sh.cur, make(map[string]Target, max)
	}
	sh.cur[code] = t
}

// target reads a code's target in one statement over primary keys.
func (s *Store) target(ctx context.Context, code string) (Target, error) {
	var t Target
	err := s.pool.QueryRow(ctx, `SELECT k.tenant_id, k.campaign_id, k.contact_id, k.idx, l.url, coalesce(m.message_id, '')
		FROM link_codes k
		JOIN campaign_links l ON l.tenant_id = k.tenant_id AND l.campaign_id = k.campaign_id AND l.idx = k.idx
		LEFT JOIN campaign_messages m ON m.tenant_id = k.tenant_id AND m.campaign_id = k.campaign_id AND m.contact_id = k.contact_id
		WHERE k.code = $1`, code).Scan(&t.Tenant, &t.CampaignID, &t.ContactID, &t.Index, &t.URL, &t.MessageID)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrLinkNotFound
	}
	if err != nil {
		return t, fmt.Errorf("link %s: %w", code, err)
	}
	return t, nil
}
