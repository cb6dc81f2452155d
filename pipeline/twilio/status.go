package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core"
	tw "github.com/ternsms/tern/core/twilio"
)

// Change is a status change of one of tern's messages.
type Change struct {
	MessageID string
	Status    core.Status
	At        time.Time
	// Sent: a carrier had the message by then.
	Sent   bool
	Reason string
}

// apply writes ch to its message unless the message has a later state
// already (a higher rank, or the same rank at a later time), and returns
// the message's status callback when its Twilio status changed and it
// has one. found is false when no message has ch's id.
func (s *Store) apply(ctx context.Context, tx pgx.Tx, ch Change) (cb *Callback, found bool, err error) {
	m, err := scanMessage(tx.QueryRow(ctx, `SELECT `+messageColumns+` FROM twilio_messages WHERE message_id = $1 FOR UPDATE`, ch.MessageID))
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	oldRank, newRank := m.TernStatus.Rank(), ch.Status.Rank()
	if oldRank > newRank || (oldRank == newRank && !m.Updated.Before(ch.At)) {
		return nil, true, nil
	}
	now := s.now()
	before, _ := m.Status(now)
	m.TernStatus, m.Reason, m.Updated = ch.Status, ch.Reason, ch.At
	if ch.Sent && m.Sent.IsZero() {
		m.Sent = ch.At
	}
	_, err = tx.Exec(ctx, `UPDATE twilio_messages SET tern_status = $2, tern_rank = $3, reason = $4, date_updated = $5, date_sent = $6 WHERE sid = $1`,
		m.SID, int16(m.TernStatus), int16(newRank), m.Reason, m.Updated, nullTime(m.Sent))
	if err != nil {
		return nil, true, fmt.Errorf("message status: %w", err)
	}
	after, _ := m.Status(now)
	if after == before || m.StatusCallback == "" {
		return nil, true, nil
	}
	return callbackFor(m, now), true, nil
}

// callbackFor is the status callback of m's status at now, with the
// parameters Twilio posts.
func callbackFor(m Message, now time.Time) *Callback {
	status, code := m.Status(now)
	p := url.Values{}
	p.Set("MessageSid", m.SID)
	p.Set("SmsSid", m.SID)
	p.Set("AccountSid", m.AccountSID)
	p.Set("From", m.From)
	p.Set("To", m.To)
	p.Set("MessageStatus", status)
	p.Set("SmsStatus", status)
	p.Set("ApiVersion", tw.APIVersion)
	if m.MessagingServiceSID != "" {
		p.Set("MessagingServiceSid", m.MessagingServiceSID)
	}
	if code != 0 {
		p.Set("ErrorCode", strconv.Itoa(code))
	}
	return &Callback{Key: m.SID + "/" + status, Tenant: m.Tenant, AccountSID: m.AccountSID, URL: m.StatusCallback, Params: p}
}

// Apply writes changes and queues the status callbacks they cause on q,
// in one transaction: a callback is queued exactly when its status
// change is written. It returns the changes whose message is not (yet)
// kept: a message's first events may come before Send kept it.
func (s *Store) Apply(ctx context.Context, q CallbackQueue, changes []Change) (missing []Change, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var cbs []Callback
		missing = missing[:0]
		for _, ch := range changes {
			cb, found, err := s.apply(ctx, tx, ch)
			if err != nil {
				return err
			}
			if !found {
				missing = append(missing, ch)
			}
			if cb != nil {
				cbs = append(cbs, *cb)
			}
		}
		if len(cbs) == 0 {
			return nil
		}
		return q.Enqueue(ctx, tx, cbs)
	})
	return missing, err
}

// Cancel marks account's message sid canceled (the pipeline canceled
// it) and queues its callback; the canceled event the pipeline emits
// later changes nothing more.
func (s *Store) Cancel(ctx context.Context, q CallbackQueue, account, sid string) (Message, error) {
	m, err := s.Message(ctx, account, sid)
	if err != nil {
		return m, err
	}
	if _, err := s.Apply(ctx, q, []Change{{MessageID: m.MessageID, Status: core.StatusCanceled, At: s.now()}}); err != nil {
		return m, err
	}
	return s.Message(ctx, account, sid)
}
