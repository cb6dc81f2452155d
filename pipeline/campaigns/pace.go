package campaigns

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ternsms/tern/core/campaign"
	"github.com/ternsms/tern/core/link"
	"github.com/ternsms/tern/pipeline/contacts"
)

// pacer spreads a campaign's messages at its rate: message n is due n/rate
// seconds after the start. Steps are sized so that one takes about a
// quarter of a second at the rate.
type pacer struct {
	rate  int
	start time.Time
	sent  int64
}

func newPacer(rate int, now time.Time) pacer { return pacer{rate: rate, start: now} }

// step is how many contacts the next step takes, at most max.
func (p pacer) step(max int) int {
	if p.rate <= 0 {
		return max
	}
	return min(max, (p.rate+3)/4)
}

// due is when the next message may be sent; zero without a rate.
func (p pacer) due() time.Time {
	if p.rate <= 0 {
		return time.Time{}
	}
	return p.start.Add(time.Duration(p.sent) * time.Second / time.Duration(p.rate))
}

// stateEvery is how often a waiting expansion reads its campaign's state,
// so that a pause takes hold within a second.
const stateEvery = 250 * time.Millisecond

// wait waits until t, reading the campaign's state every stateEvery:
// errStopped when it no longer runs.
func (e *expansion) wait(ctx context.Context, t time.Time) error {
	for {
		left := time.Until(t)
		if left <= 0 {
			return nil
		}
		timer := time.NewTimer(min(left, stateEvery))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		var state int16
		if err := e.conn.QueryRow(ctx, `SELECT state FROM campaigns WHERE tenant_id = $1 AND id = $2`, e.c.Tenant, e.c.ID).Scan(&state); err != nil {
			return fmt.Errorf("campaign %s state: %w", e.c.ID, err)
		}
		if campaign.State(state) != campaign.Running {
			return errStopped
		}
	}
}

// sendAt is when a contact's message may go under the campaign's quiet
// hours, in the contact's zone (else its number's): zero when now. While
// the window is closed it is the window's opening, the same instant
// whenever asked before it, so a repeated step makes the same message.
func (e *expansion) sendAt(c contacts.Contact, now time.Time) time.Time {
	w := e.c.QuietHours
	if w.IsZero() {
		return time.Time{}
	}
	var zones []*time.Location
	names := []string{c.TimeZone}
	if c.TimeZone == "" {
		if n, err := e.s.d.Phones.Parse(c.Phone, ""); err == nil {
			names = n.TimeZones
		}
	}
	for _, z := range names {
		if l, err := time.LoadLocation(strings.TrimSpace(z)); err == nil && z != "" {
			zones = append(zones, l)
		}
	}
	if next := w.Next(now, zones...); next.After(now) {
		return next
	}
	return time.Time{}
}

// linkCodes returns the short links of each contact for the campaign's
// links; none without links.
func (e *expansion) linkCodes(ctx context.Context, cs []contacts.Contact) (map[int64][]string, error) {
	n := len(e.msg.Links())
	out := make(map[int64][]string, len(cs))
	if n == 0 || e.s.coder == nil || len(cs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	codes, err := e.s.codes(ctx, e.c.Tenant, e.c.ID, ids, n)
	if err != nil {
		return nil, err
	}
	for id, cs := range codes {
		short := make([]string, len(cs))
		for i, code := range cs {
			short[i] = link.Short(e.s.cfg.LinkBase, code)
		}
		out[id] = short
	}
	return out, nil
}
