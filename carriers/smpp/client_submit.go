package smpp

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ternsms/tern/carriers"
)

// part is one submit_sm of a Submit on its way through the send queue.
type part struct {
	idx  int
	m    *SubmitSM
	ctx  context.Context
	res  chan<- partResult
	prio carriers.Priority // its submission's: the higher goes first

	elem *list.Element // in the send queue; guarded by its lock
	in   *list.List
	gone bool // its Submit gave up; guarded by the send queue's lock

	sentAt    time.Time // set by the sender
	throttles int
}

// partResult is the outcome of one attempt of a part.
type partResult struct {
	p    *part
	resp PDU
	err  error
}

// Submit sends s as one submit_sm per part (one in all with LongPayload,
// and for s.Raw, which goes as it is) and waits for every answer.
//
// Parts of a long text carry a concatenation header (LongUDH, 8-bit or,
// with s.Coding.Ref16, 16-bit reference) or the sar_* parameters
// (LongSAR); all parts are pipelined on the free binds. On success
// Accepted.IDs holds one normalized carrier id per submit_sm, in part
// order.
//
// A part answered ESME_RTHROTTLED pauses its bind and is sent again ahead
// of every new part; one answered ESME_RMSGQFUL fails the Submit at once
// with a BackoffError asking for QueueFullRetry, so that the caller waits
// without holding anything of the client's; a part whose connection died
// before it was written goes out on the next bind. None of them counts as sent
// twice: the SMSC refused or never saw the earlier attempt.
//
// On failure the error names the first failed part and Accepted.IDs still
// holds the ids of the parts the carrier accepted ("" for the others), so
// that the caller knows what it must not send again. A part refused with
// a command_status yields that CommandStatus (carriers.IsRetriable reads
// it), wrapped in a carriers.BackoffError when the carrier asked to slow
// down; a part written but never answered (timeout, lost connection, ctx
// ending) makes the whole error wrap carriers.ErrInDoubt. While no bind
// can send, Submit waits until ctx ends (carriers.ErrUnavailable); after
// Close it returns carriers.ErrClosed.
func (c *Client) Submit(ctx context.Context, s *carriers.Submission) (carriers.Accepted, error) {
	if s == nil {
		return carriers.Accepted{}, errors.New("submit: nil submission")
	}
	if err := c.enter(); err != nil {
		return carriers.Accepted{}, err
	}
	defer c.leave()

	pdus, err := c.cfg.encode(s, uint16(c.ref.Add(1)))
	if err != nil {
		return carriers.Accepted{}, fmt.Errorf("submit_sm to %s: %w", c.cfg.Name, err)
	}
	n := len(pdus)
	res := make(chan partResult, n)
	var small [4]part
	parts := small[:0]
	if n > len(small) {
		parts = make([]part, 0, n)
	}
	for i, m := range pdus {
		parts = append(parts, part{idx: i, m: m, ctx: ctx, res: res, prio: s.Priority})
	}
	for i := range parts {
		c.queue.push(&parts[i], false)
	}

	ids := make([]string, n)
	errs := make([]error, n)
	left := n
	done := ctx.Done()
	for left > 0 {
		select {
		case r := <-res:
			if done != nil && c.retry(ctx, r) {
				continue
			}
			errs[r.p.idx] = c.outcome(ctx, r, &ids[r.p.idx])
			left--
		case <-done:
			done = nil
			for i := range parts {
				if c.queue.remove(&parts[i]) {
					errs[i] = c.unsent(&parts[i], ctx.Err())
					left--
				}
			}
		}
	}

	var first, doubt error
	for i, err := range errs {
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

// retry queues a part again when its attempt calls for it and ctx allows,
// and reports whether it did.
func (c *Client) retry(ctx context.Context, r partResult) bool {
	p := r.p
	switch {
	case r.err != nil:
		if !errNotSent(r.err) || ctx.Err() != nil {
			return false
		}
		// The connection died before the part left: the next bind
		// sends it.
	case r.resp.Status == StatusThrottled:
		// The bind is paused; the part goes first when one may send.
		p.throttles++
	default:
		return false
	}
	c.queue.push(p, true)
	return true
}

// outcome reads the final attempt of a part into *id or an error.
func (c *Client) outcome(ctx context.Context, r partResult, id *string) error {
	if r.err != nil {
		if errors.Is(r.err, carriers.ErrInDoubt) {
			c.stats.inDoubt.Add(1)
			return r.err
		}
		if ctx.Err() != nil || errNotSent(r.err) {
			return c.unsent(r.p, r.err)
		}
		return r.err
	}
	switch st := r.resp.Status; st {
	case StatusOK:
	case StatusThrottled:
		return &carriers.BackoffError{Err: st, Wait: c.cfg.ThrottlePause}
	case StatusMessageQueueFull:
		return &carriers.BackoffError{Err: st, Wait: c.cfg.QueueFullRetry}
	default:
		return st
	}
	resp, ok := r.resp.Body.(*SubmitSMResp)
	if !ok {
		c.stats.inDoubt.Add(1)
		return fmt.Errorf("%w: answered with %s", carriers.ErrInDoubt, r.resp.ID)
	}
	if resp.MessageID == "" {
		c.log.Warn("smpp submit_sm_resp without message_id; receipts for it cannot be matched")
	}
	*id = c.cfg.ResponseIDFormat.Normalize(resp.MessageID)
	return nil
}

// unsent is the error of a part that never left because ctx ended (or,
// after a throttle, the connection died).
func (c *Client) unsent(p *part, cause error) error {
	if p.throttles > 0 {
		return &carriers.BackoffError{Err: fmt.Errorf("%w: %w", StatusThrottled, cause), Wait: c.cfg.ThrottlePause}
	}
	if c.stats.bound.Load() == 0 {
		return fmt.Errorf("no bind to %s: %w: %w", c.cfg.Name, carriers.ErrUnavailable, cause)
	}
	return fmt.Errorf("waiting for a free bind to %s: %w: %w", c.cfg.Name, carriers.ErrUnavailable, cause)
}
