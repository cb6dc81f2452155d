package smpp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core/gsm"
)

// Submit sends s as one submit_sm per part and waits for every answer.
//
// Parts of a long text carry an 8-bit (or, with s.Coding.Ref16, 16-bit)
// concatenation header with esm_class UDHI; all parts are pipelined
// within the window. On success Accepted.IDs holds one normalized carrier
// id per part, in part order.
//
// On failure the error names the first failed part and Accepted.IDs still
// holds the ids of the parts the carrier accepted ("" for the others), so
// that the caller knows what it must not send again. A part refused with
// a command_status yields that CommandStatus (carriers.IsRetriable reads
// it); a part written but never answered (timeout, lost connection, ctx
// ending) makes the whole error wrap carriers.ErrInDoubt. While no bind is
// up Submit waits for one until ctx ends (carriers.ErrUnavailable); after
// Close it returns carriers.ErrClosed.
func (c *Client) Submit(ctx context.Context, s *carriers.Submission) (carriers.Accepted, error) {
	if s == nil {
		return carriers.Accepted{}, errors.New("submit: nil submission")
	}
	if err := c.enter(); err != nil {
		return carriers.Accepted{}, err
	}
	defer c.leave()

	base := SubmitSM{
		Source: AddressOf(s.From),
		Dest:   AddressOf(s.To),
	}
	if s.RegisteredDelivery {
		base.RegisteredDelivery = RegisteredDeliveryFinal
	}
	if !s.ValidUntil.IsZero() {
		d := time.Until(s.ValidUntil)
		if d <= 0 {
			return carriers.Accepted{}, fmt.Errorf("submit_sm to %s: %w", c.cfg.Name, ErrExpired)
		}
		base.ValidityPeriod = RelativeTime(d)
	}
	enc := gsm.Encode(s.Text, s.Coding)
	base.DataCoding = enc.DataCoding
	n := len(enc.Parts)
	var ref uint16
	if n > 1 {
		base.ESMClass = ESMClassUDHI
		ref = uint16(c.ref.Add(1))
	}

	var small [4]partSend
	parts := small[:0]
	if n > len(small) {
		parts = make([]partSend, 0, n)
	}
	for i, payload := range enc.Parts {
		m := new(SubmitSM)
		*m = base
		if n > 1 {
			m.ShortMessage = make([]byte, 0, 7+len(payload))
			m.ShortMessage = gsm.AppendConcatUDH(m.ShortMessage, ref, n, i+1, s.Coding.Ref16)
			m.ShortMessage = append(m.ShortMessage, payload...)
		} else {
			m.ShortMessage = payload
		}
		parts = append(parts, c.startPart(ctx, m))
	}

	ids := make([]string, n)
	var first, doubt error
	for i, p := range parts {
		err := p.err
		if err == nil {
			var resp PDU
			if resp, err = p.cn.wait(ctx, p.cl); err == nil {
				err = c.accepted(resp, &ids[i])
			}
		}
		if err == nil {
			continue
		}
		if n > 1 {
			err = fmt.Errorf("submit_sm part %d/%d to %s: %w", i+1, n, c.cfg.Name, err)
		} else {
			err = fmt.Errorf("submit_sm to %s: %w", c.cfg.Name, err)
		}
		if first == nil {
			first = err
		}
		if doubt == nil && errors.Is(err, carriers.ErrInDoubt) {
			doubt = err
		}
	}
	if doubt != nil {
		first = doubt
	}
	if first != nil {
		c.log.Debug("smpp submit failed", "message_id", s.MessageID, "err", first)
	}
	return carriers.Accepted{IDs: ids}, first
}

// partSend is one part on its way: the call to wait on, or why it was
// never sent.
type partSend struct {
	cn  *conn
	cl  *call
	err error
}

// startPart queues one submit_sm on the bound connection, moving to the
// next connection when the current one dies before the PDU left.
func (c *Client) startPart(ctx context.Context, m *SubmitSM) (s partSend) {
	for {
		cn, err := c.bound(ctx)
		if err != nil {
			s.err = err
			return s
		}
		cl, err := cn.start(ctx, m, nil)
		if err == nil {
			s.cn, s.cl = cn, cl
			return s
		}
		if errNotSent(err) && ctx.Err() == nil {
			c.clearConn(cn)
			continue
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", carriers.ErrUnavailable, err)
		}
		s.err = err
		return s
	}
}

// accepted reads a submit_sm answer into *id.
func (c *Client) accepted(resp PDU, id *string) error {
	if resp.Status != StatusOK {
		return resp.Status
	}
	r, ok := resp.Body.(*SubmitSMResp)
	if !ok {
		return fmt.Errorf("%w: answered with %s", carriers.ErrInDoubt, resp.ID)
	}
	if r.MessageID == "" {
		c.log.Warn("smpp submit_sm_resp without message_id; receipts for it cannot be matched")
	}
	*id = carriers.NormalizeID(r.MessageID)
	return nil
}
