package inbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/core/keyword"
	"github.com/ternsms/tern/pipeline/pgschema"
)

var migrations = []string{
	1: `
-- Every reply to a tenant's number, with how it was read and what tern
-- did. source is the MO record (topic/partition/offset): a redelivered
-- record is stored once. answered_at is set once tern's own reply to it
-- is queued.
CREATE TABLE inbound_replies (
	id          bigserial   PRIMARY KEY,
	tenant_id   text        NOT NULL,
	from_number text        NOT NULL,
	to_number   text        NOT NULL,
	text        text        NOT NULL,
	intent      smallint    NOT NULL,
	keyword     text        NOT NULL DEFAULT '',
	language    text        NOT NULL DEFAULT '',
	action      text        NOT NULL DEFAULT '',
	carrier     text        NOT NULL DEFAULT '',
	source      text        NOT NULL UNIQUE,
	received_at timestamptz NOT NULL,
	stored_at   timestamptz NOT NULL DEFAULT now(),
	answered_at timestamptz
);
CREATE INDEX inbound_replies_tenant ON inbound_replies (tenant_id, id);
CREATE INDEX inbound_replies_from ON inbound_replies (tenant_id, from_number, id);
`,
}

// Store keeps replies in PostgreSQL. Every instance shares it.
type Store struct {
	pool *pgxpool.Pool
}

// OpenStore connects to PostgreSQL at url and applies the migrations.
func OpenStore(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	err = pgschema.Migrate(ctx, pool, pgschema.Set{Name: "inbound", Table: "inbound_migrations", Steps: migrations, LockID: 0x696e626e}, log) // "inbn"
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// Close closes the connection pool.
func (s *Store) Close() { s.pool.Close() }

// Reply is one stored reply.
type Reply struct {
	ID       int64
	Tenant   string
	From, To string
	Text     string
	Reading  keyword.Result
	// Action is what tern did: "opted_out", "opted_in", "confirmed",
	// "help_sent" or "none".
	Action   string
	Carrier  string
	Source   string
	Received time.Time
	Answered bool
}

// put stores r once per source; a repeat returns the row stored first.
func (s *Store) put(ctx context.Context, r Reply) (Reply, error) {
	err := s.pool.QueryRow(ctx, `INSERT INTO inbound_replies (tenant_id, from_number, to_number, text, intent, keyword, language, action, carrier, source, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (source) DO NOTHING RETURNING id`,
		r.Tenant, r.From, r.To, r.Text, int16(r.Reading.Intent), r.Reading.Keyword, r.Reading.Language, r.Action, r.Carrier, r.Source, r.Received).Scan(&r.ID)
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("store reply: %w", err)
	}
	var answered *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT id, action, answered_at FROM inbound_replies WHERE source = $1`, r.Source).Scan(&r.ID, &r.Action, &answered); err != nil {
		return r, fmt.Errorf("store reply: %w", err)
	}
	r.Answered = answered != nil
	return r, nil
}

// setAction records what tern did about reply id.
func (s *Store) setAction(ctx context.Context, id int64, action string, answered bool) error {
	_, err := s.pool.Exec(ctx, `UPDATE inbound_replies SET action = $2,
		answered_at = CASE WHEN $3 THEN coalesce(answered_at, now()) ELSE answered_at END WHERE id = $1`, id, action, answered)
	if err != nil {
		return fmt.Errorf("reply action: %w", err)
	}
	return nil
}

// MaxPage is the most replies one List returns.
const MaxPage = 1000

// List returns tenant's replies, newest first, optionally only those from
// one number (E.164), pageSize at a time (0 is 100). next is the token of
// the following page, "" after the last.
func (s *Store) List(ctx context.Context, tenant, from string, pageSize int, token string) (out []Reply, next string, err error) {
	if pageSize <= 0 {
		pageSize = 100
	}
	pageSize = min(pageSize, MaxPage)
	before := int64(1<<63 - 1)
	if token != "" {
		if before, err = strconv.ParseInt(token, 36, 64); err != nil || before <= 0 {
			return nil, "", ErrBadToken
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT id, from_number, to_number, text, intent, keyword, language, action, carrier, received_at, answered_at IS NOT NULL
		FROM inbound_replies WHERE tenant_id = $1 AND ($2 = '' OR from_number = $2) AND id < $3 ORDER BY id DESC LIMIT $4`,
		tenant, from, before, pageSize+1)
	if err != nil {
		return nil, "", fmt.Errorf("list replies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := Reply{Tenant: tenant}
		var intent int16
		if err := rows.Scan(&r.ID, &r.From, &r.To, &r.Text, &intent, &r.Reading.Keyword, &r.Reading.Language, &r.Action, &r.Carrier, &r.Received, &r.Answered); err != nil {
			return nil, "", fmt.Errorf("list replies: %w", err)
		}
		r.Reading.Intent = keyword.Intent(intent)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list replies: %w", err)
	}
	if len(out) > pageSize {
		out = out[:pageSize]
		next = strconv.FormatInt(out[len(out)-1].ID, 36)
	}
	return out, next, nil
}

// Erase deletes every reply from number (E.164) to tenant's numbers
// (GDPR) and returns how many.
func (s *Store) Erase(ctx context.Context, tenant, number string) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM inbound_replies WHERE tenant_id = $1 AND from_number = $2`, tenant, number)
	if err != nil {
		return 0, fmt.Errorf("erase replies: %w", err)
	}
	return tag.RowsAffected(), nil
}
