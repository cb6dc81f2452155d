package analytics

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ternsms/tern/core"
)

// MessageFilter selects messages; every field set must match.
type MessageFilter struct {
	// To is the recipient, E.164.
	To         string
	CampaignID string
	// Statuses: the message's latest status is one of them.
	Statuses []core.Status
	// AcceptedAfter and AcceptedBefore bound when tern accepted the
	// message, [after, before); zero: DefaultListWindow back, and now.
	AcceptedAfter, AcceptedBefore time.Time
}

// ListedMessage is a message with what analytics adds to it.
type ListedMessage struct {
	MessageView
	FlowID, Sender string
	PriceMicros    int64
	Currency       string
	CostMicros     int64
	CostCurrency   string
}

// Listing limits.
const (
	DefaultListWindow = 30 * 24 * time.Hour
	DefaultPageSize   = 50
	MaxPageSize       = 1000
	// listRounds bounds the slices of the index one page reads; a page
	// whose filter matches little may come back short, with a token.
	listRounds = 8
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{4,14}$`)

// check validates f and fills in its default range.
func (f MessageFilter) check(now time.Time) (MessageFilter, error) {
	if f.To != "" && !e164.MatchString(f.To) {
		return f, badRequest("filter.to", "want a number in E.164 form (+14155552671)")
	}
	if len(f.CampaignID) > 128 {
		return f, badRequest("filter.campaign_id", "longer than 128 bytes")
	}
	for _, st := range f.Statuses {
		if st.Rank() == 0 {
			return f, badRequest("filter.statuses", "unknown status %d", st)
		}
	}
	if f.AcceptedBefore.IsZero() {
		f.AcceptedBefore = now.Add(time.Second)
	}
	if f.AcceptedAfter.IsZero() {
		f.AcceptedAfter = f.AcceptedBefore.Add(-DefaultListWindow)
	}
	if !f.AcceptedAfter.Before(f.AcceptedBefore) {
		return f, badRequest("filter.accepted_after", "not before accepted_before")
	}
	return f, nil
}

// cursor is where a listing goes on: below (accepted, message id).
type cursor struct {
	at time.Time
	id string
}

func (c cursor) token() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.at.Unix(), 10) + "/" + c.id))
}

func parseToken(tok string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	sec, id, ok := strings.Cut(string(b), "/")
	n, perr := strconv.ParseInt(sec, 10, 64)
	if err != nil || !ok || perr != nil || id == "" {
		return cursor{}, badRequest("page_token", "not a token this call returned")
	}
	return cursor{time.Unix(n, 0).UTC(), id}, nil
}

// ListMessages returns a page of a tenant's messages matching f, newest
// accepted first, and the token of the next page ("" when there are no
// more). pageSize 0 is DefaultPageSize. A page may be short while more
// follow: each call reads a bounded part of the index.
func (s *Store) ListMessages(ctx context.Context, tenantID string, f MessageFilter, pageSize int, token string) ([]ListedMessage, string, error) {
	f, err := f.check(time.Now())
	if err != nil {
		return nil, "", err
	}
	if pageSize == 0 {
		pageSize = DefaultPageSize
	}
	if pageSize < 0 || pageSize > MaxPageSize {
		return nil, "", badRequest("page_size", "want 1 to %d", MaxPageSize)
	}
	cur := cursor{at: f.AcceptedBefore}
	if token != "" {
		if cur, err = parseToken(token); err != nil {
			return nil, "", err
		}
	}
	release, err := s.reads.acquire(ctx, tenantID)
	if err != nil {
		return nil, "", fmt.Errorf("list messages: %w", err)
	}
	defer release()
	page, next, err := s.listPage(ctx, tenantID, f, pageSize, cur)
	if err != nil {
		return nil, "", fmt.Errorf("list messages: %w", err)
	}
	if next == nil {
		return page, "", nil
	}
	return page, next.token(), nil
}

// listPage reads up to n messages below cur, in rounds of the index; next
// is nil when the index holds no more. Without a status filter nearly
// every candidate is listed, so a round reads few more than the page
// (each one costs a look-up in the events table); with one, a round reads
// the most candidates, the statuses searched for being usually the rare
// ones.
func (s *Store) listPage(ctx context.Context, tenant string, f MessageFilter, n int, cur cursor) ([]ListedMessage, *cursor, error) {
	var page []ListedMessage
	batch := n + n/8 + 1
	if len(f.Statuses) > 0 {
		batch = 2 * MaxPageSize
	}
	for range listRounds {
		cands, err := s.candidates(ctx, tenant, f, cur, batch)
		if err != nil {
			return nil, nil, err
		}
		if len(cands) == 0 {
			return page, nil, nil
		}
		views, err := s.messagesByID(ctx, tenant, cands)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cands {
			cur = c
			v, ok := views[c.id]
			if !ok || (len(f.Statuses) > 0 && !slices.Contains(f.Statuses, v.Status)) {
				continue
			}
			page = append(page, v)
			if len(page) == n {
				return page, &cur, nil
			}
		}
		if len(cands) < batch {
			return page, nil, nil
		}
	}
	return page, &cur, nil
}

// candidates reads up to n index entries below cur, newest first. It
// reads the index a few minutes at a time back from cur, eight times as
// far each time it finds too few, and jumps over a stretch with none to
// the newest entry below it, so that a page neither sorts a month nor
// crawls through empty hours (ClickHouse 18.16 sorts a whole range for
// ORDER BY … LIMIT). One number's messages are read at once.
func (s *Store) candidates(ctx context.Context, tenant string, f MessageFilter, cur cursor, n int) ([]cursor, error) {
	if f.To != "" {
		// One number's messages are few: its whole range at once.
		return s.candidatesIn(ctx, tenant, f, f.AcceptedAfter, cur, n)
	}
	var out []cursor
	for win := 5 * time.Minute; ; win *= 8 {
		lo := cur.at.Add(-win).UTC().Truncate(time.Second)
		if !lo.After(f.AcceptedAfter) {
			lo = f.AcceptedAfter
		}
		got, err := s.candidatesIn(ctx, tenant, f, lo, cur, n-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if len(out) == n || !lo.After(f.AcceptedAfter) {
			return out, nil
		}
		cur = cursor{at: lo}
		if len(got) > 0 {
			continue
		}
		newest, ok, err := s.newestBelow(ctx, tenant, f, cur)
		if err != nil || !ok {
			return out, err
		}
		cur, win = cursor{at: newest.Add(time.Second)}, 5*time.Minute/8
	}
}

// newestBelow returns the accept time of the newest index entry matching
// f below cur; ok is false when there is none.
func (s *Store) newestBelow(ctx context.Context, tenant string, f MessageFilter, cur cursor) (time.Time, bool, error) {
	table, where, args := indexFor(tenant, f)
	var at time.Time
	var n uint64
	err := s.conn.QueryRow(ctx, s.sql(`SELECT max(accepted), count() FROM {db}.`+table+`
		WHERE `+where+` AND accepted >= ? AND accepted < ?`), append(args, f.AcceptedAfter.UTC(), cur.at.UTC())...).Scan(&at, &n)
	return at, n > 0, err
}

// indexFor is the index a listing of f reads, and the conditions on it.
func indexFor(tenant string, f MessageFilter) (table, where string, args []any) {
	table, where, args = "message_index", "tenant_id = ?", []any{tenant}
	switch {
	case f.To != "":
		table, where, args = "recipient_messages", where+" AND recipient = ?", append(args, f.To)
		if f.CampaignID != "" {
			where, args = where+" AND campaign_id = ?", append(args, f.CampaignID)
		}
	case f.CampaignID != "":
		table, where, args = "campaign_index", where+" AND campaign_id = ?", append(args, f.CampaignID)
	}
	return table, where, args
}

// candidatesIn reads up to n index entries in [lo, cur), newest first.
func (s *Store) candidatesIn(ctx context.Context, tenant string, f MessageFilter, lo time.Time, cur cursor, n int) ([]cursor, error) {
	table, where, args := indexFor(tenant, f)
	where += " AND accepted >= ? AND (accepted < ? OR (accepted = ? AND message_id < ?))"
	at := cur.at.UTC().Truncate(time.Second)
	if cur.id == "" && !at.Equal(cur.at.UTC()) {
		at = at.Add(time.Second) // a bound inside a second includes it
	}
	args = append(args, lo.UTC(), at, at, cur.id, n)
	rows, err := s.conn.Query(ctx, s.sql(`SELECT DISTINCT accepted, message_id FROM {db}.`+table+`
		WHERE `+where+` ORDER BY accepted DESC, message_id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cursor
	for rows.Next() {
		var c cursor
		if err := rows.Scan(&c.at, &c.id); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// listQuery folds the events of some of a tenant's messages into views,
// as messageQuery does one, with what analytics adds.
const listQuery = `SELECT
	message_id,
	argMax(status, k), argMax(t, k), minIf(t, status = 1), minIf(t, status = 2),
	max(recipient), max(region), max(campaign_id), max(category), max(segments), max(encoding),
	argMaxIf(carrier, k, carrier != ''), argMaxIf(carrier_message_id, k, carrier_message_id != ''),
	argMax(reason, k), argMax(error_code, k),
	max(flow_id), max(sender), max(price_micros), max(currency), max(cost_micros), max(cost_currency)
FROM (
	SELECT *,
		toUInt64(event_time) * 1000000000 + event_ns AS t,
		` + latestKey + ` AS k
	FROM {db}.events
	WHERE tenant_id = ? AND message_id IN ?
)
GROUP BY message_id`

// messagesByID returns the views of the messages of cands.
func (s *Store) messagesByID(ctx context.Context, tenant string, cands []cursor) (map[string]ListedMessage, error) {
	ids := make([]any, len(cands))
	for i, c := range cands {
		ids[i] = c.id
	}
	rows, err := s.conn.Query(ctx, s.sql(listQuery), tenant, clickhouse.GroupSet{Value: ids})
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]ListedMessage, len(cands))
	for rows.Next() {
		m, err := scanListed(rows, tenant)
		if err != nil {
			return nil, err
		}
		out[m.ID] = m
	}
	return out, rows.Err()
}

func scanListed(r scanner, tenant string) (ListedMessage, error) {
	var (
		m                            ListedMessage
		status, category, encoding   uint8
		segments                     uint16
		updated, accepted, submitted uint64
	)
	err := r.Scan(&m.ID, &status, &updated, &accepted, &submitted, &m.To, &m.Region, &m.CampaignID, &category,
		&segments, &encoding, &m.Carrier, &m.CarrierMessageID, &m.Reason, &m.ErrorCode,
		&m.FlowID, &m.Sender, &m.PriceMicros, &m.Currency, &m.CostMicros, &m.CostCurrency)
	m.TenantID, m.Status, m.Category = tenant, core.Status(status), core.Category(category)
	m.Segments, m.Encoding = int(segments), gsmEncoding(encoding)
	m.AcceptedAt, m.SubmittedAt, m.UpdatedAt = unixNano(accepted), unixNano(submitted), unixNano(updated)
	if m.Status.Final() {
		m.DoneAt = m.UpdatedAt
	}
	return m, err
}
