package twilio

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	tw "github.com/ternsms/tern/core/twilio"
	"github.com/ternsms/tern/pipeline"
)

// OriginPrefix starts the Origin of every message sent through the
// surface: "twilio/" and the account SID. Events carry it, which is how
// the Follower knows a message is the surface's.
const OriginPrefix = "twilio/"

// Directions of messages, as Twilio names them.
const (
	DirectionOutboundAPI   = "outbound-api"
	DirectionOutboundReply = "outbound-reply"
)

// Intake queues messages; the pipeline's Intake is one.
type Intake interface {
	Send(ctx context.Context, reqs []pipeline.Request, out []pipeline.Result) error
}

// Message is one message sent through the surface.
type Message struct {
	SID        string
	Tenant     string
	AccountSID string
	// MessageID is tern's id (MessageService.GetMessage).
	MessageID           string
	Direction           string
	To                  string
	From                string
	Body                string
	Segments            int
	PriceMicros         int64
	PriceUnit           string
	MessagingServiceSID string
	StatusCallback      string
	// SendAt is the scheduled time; zero when none.
	SendAt time.Time
	// TernStatus and Reason are tern's, as the events topic last told.
	TernStatus core.Status
	Reason     string
	Created    time.Time
	Updated    time.Time
	// Sent is when a carrier first had it; zero before.
	Sent time.Time
}

// Status returns m's Twilio status and error code as of now.
func (m Message) Status(now time.Time) (string, int) {
	return tw.Status(m.TernStatus, !m.Sent.IsZero(), m.SendAt, now)
}

// Outgoing is a message to send for an account.
type Outgoing struct {
	To, From, Body      string
	StatusCallback      string
	MessagingServiceSID string
	// Direction defaults to DirectionOutboundAPI.
	Direction string
	SendAt    time.Time
	Validity  time.Duration
	// Smart asks for smart encoding (Twilio's SmartEncoded).
	Smart bool
	// IdempotencyKey, when set, makes a repeat queue nothing new.
	IdempotencyKey string
}

// Send queues o through in as account a's (transactional, Origin
// "twilio/" and the account SID) and keeps it. The intake's refusals
// come back as they are (a *pipeline.FieldError, …). A message queued
// but not kept (PostgreSQL failed after Kafka took it) is logged and
// returned all the same: it goes out, and only reading it back fails.
func (s *Store) Send(ctx context.Context, in Intake, a Account, o Outgoing) (Message, error) {
	req := pipeline.Request{TenantID: a.Tenant, To: o.To, From: o.From, Body: o.Body, Category: core.CategoryTransactional,
		Origin: OriginPrefix + a.SID, SendAt: o.SendAt, Validity: o.Validity, Coding: gsm.Options{Smart: o.Smart},
		IdempotencyKey: o.IdempotencyKey}
	var out [1]pipeline.Result
	if err := in.Send(ctx, []pipeline.Request{req}, out[:]); err != nil {
		return Message{}, err
	}
	if out[0].Err != nil {
		return Message{}, out[0].Err
	}
	sid, ok := tw.MessageSID(out[0].ID)
	if !ok {
		return Message{}, fmt.Errorf("message id %q has no ULID", out[0].ID)
	}
	now := s.now().UTC()
	m := Message{SID: sid, Tenant: a.Tenant, AccountSID: a.SID, MessageID: out[0].ID, Direction: o.Direction, To: o.To, From: o.From,
		Body: o.Body, Segments: out[0].Segments, MessagingServiceSID: o.MessagingServiceSID, StatusCallback: o.StatusCallback,
		SendAt: o.SendAt, TernStatus: core.StatusQueued, Created: now, Updated: now}
	if m.Direction == "" {
		m.Direction = DirectionOutboundAPI
	}
	if p := out[0].Price; p != nil {
		m.PriceMicros, m.PriceUnit = int64(p.Total), p.Currency
	}
	if err := s.insert(ctx, m); err != nil {
		s.log.Error("twilio message queued but not kept", "sid", m.SID, "err", err)
	}
	return m, nil
}

func (s *Store) insert(ctx context.Context, m Message) error {
	var sendAt *time.Time
	if !m.SendAt.IsZero() {
		sendAt = &m.SendAt
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO twilio_messages (sid, tenant_id, account_sid, message_id, direction, recipient, sender, body,
		num_segments, price_micros, price_unit, messaging_service_sid, status_callback, send_at, tern_status, tern_rank, date_created, date_updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) ON CONFLICT (sid) DO NOTHING`,
		m.SID, m.Tenant, m.AccountSID, m.MessageID, m.Direction, m.To, m.From, m.Body, int16(m.Segments), m.PriceMicros, m.PriceUnit,
		m.MessagingServiceSID, m.StatusCallback, sendAt, int16(m.TernStatus), int16(m.TernStatus.Rank()), m.Created)
	return err
}

const messageColumns = `sid, tenant_id, account_sid, message_id, direction, recipient, sender, body, num_segments, price_micros,
	price_unit, messaging_service_sid, status_callback, send_at, tern_status, reason, date_created, date_updated, date_sent`

func scanMessage(row pgx.Row) (Message, error) {
	var m Message
	var segments, status int16
	var sendAt, sent *time.Time
	err := row.Scan(&m.SID, &m.Tenant, &m.AccountSID, &m.MessageID, &m.Direction, &m.To, &m.From, &m.Body, &segments, &m.PriceMicros,
		&m.PriceUnit, &m.MessagingServiceSID, &m.StatusCallback, &sendAt, &status, &m.Reason, &m.Created, &m.Updated, &sent)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("message: %w", err)
	}
	m.Segments, m.TernStatus = int(segments), core.Status(status)
	if sendAt != nil {
		m.SendAt = *sendAt
	}
	if sent != nil {
		m.Sent = *sent
	}
	return m, nil
}

// Message returns account's message sid, or ErrNotFound.
func (s *Store) Message(ctx context.Context, account, sid string) (Message, error) {
	return scanMessage(s.pool.QueryRow(ctx, `SELECT `+messageColumns+` FROM twilio_messages WHERE account_sid = $1 AND sid = $2`, account, sid))
}

// ListQuery selects an account's messages, newest first.
type ListQuery struct {
	Account string
	// To and From, when set, must match exactly (E.164 or the sender id).
	To, From string
	// SentFrom and SentUntil bound the time sent (the time created for
	// a message no carrier has had yet): [SentFrom, SentUntil). Zero is
	// unbounded.
	SentFrom, SentUntil time.Time
	PageSize            int
	// After is the SID of the last message of the previous page; empty
	// for the first page. Offset skips that many instead, when After is
	// empty.
	After  string
	Offset int
}

// MaxPageSize bounds a page.
const MaxPageSize = 1000

// List returns one page of q, and whether more follow.
func (s *Store) List(ctx context.Context, q ListQuery) ([]Message, bool, error) {
	size := min(max(q.PageSize, 1), MaxPageSize)
	sql := `SELECT ` + messageColumns + ` FROM twilio_messages WHERE account_sid = $1
		AND ($2 = '' OR recipient = $2) AND ($3 = '' OR sender = $3) AND ($4 = '' OR sid < $4)
		AND ($5::timestamptz IS NULL OR coalesce(date_sent, date_created) >= $5)
		AND ($6::timestamptz IS NULL OR coalesce(date_sent, date_created) < $6)
		ORDER BY sid DESC LIMIT $7 OFFSET $8`
	rows, err := s.pool.Query(ctx, sql, q.Account, q.To, q.From, q.After, nullTime(q.SentFrom), nullTime(q.SentUntil), size+1, q.Offset)
	if err != nil {
		return nil, false, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list messages: %w", err)
	}
	if len(out) > size {
		return out[:size], true, nil
	}
	return out, false, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
