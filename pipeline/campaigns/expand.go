package campaigns

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/campaign"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/contacts"
)

// errStopped ends an expansion whose campaign is no longer running.
var errStopped = errors.New("campaign stopped")

// expansion is one campaign being expanded by this instance; conn holds
// the campaign's lock and takes every commit.
type expansion struct {
	s      *Store
	conn   *pgxpool.Conn
	c      Campaign
	msg    *campaign.Message
	cat    core.Category
	from   string
	coding gsm.Options
	pace   pacer
}

// Expand expands the tenant's campaign id while it runs: until its last
// contact (it is then completed), until it is paused or canceled, or
// until ctx ends. It returns at once when another instance expands it.
func (s *Store) Expand(ctx context.Context, tenant, id string) error {
	if s.d.Intake == nil {
		return errors.New("campaigns: no intake to expand with")
	}
	conn, ok, err := s.lock(ctx, tenant, id)
	if err != nil || !ok {
		return err
	}
	defer s.unlock(conn, tenant, id)
	e, err := s.newExpansion(ctx, conn, tenant, id)
	if err != nil || e == nil {
		return err
	}
	err = e.run(ctx)
	if errors.Is(err, errStopped) {
		return nil
	}
	return err
}

// newExpansion reads the campaign under its lock and prepares its text;
// nil when it is not to be expanded now.
func (s *Store) newExpansion(ctx context.Context, conn *pgxpool.Conn, tenant, id string) (*expansion, error) {
	c, err := s.Get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if c.State == campaign.Scheduled && (c.SendAt.IsZero() || !c.SendAt.After(s.now())) {
		if c, err = s.Act(ctx, tenant, id, campaign.Start); err != nil {
			return nil, err
		}
	}
	if c.State != campaign.Running {
		return nil, nil
	}
	t, err := s.d.Templates.Get(ctx, tenant, c.TemplateID, c.TemplateVersion)
	if err != nil {
		return nil, fmt.Errorf("campaign %s template: %w", id, err)
	}
	policy, from := s.policy(tenant)
	if c.From != "" {
		from = c.From
	}
	e := &expansion{s: s, conn: conn, c: c, cat: t.Category.Normalize(), from: from, coding: s.coding(tenant), pace: newPacer(c.Rate, s.now())}
	if e.msg, err = campaign.Compile(t.Spec(), policy, s.cfg.LinkBase, e.coding); err != nil {
		return nil, fmt.Errorf("campaign %s template: %w", id, err)
	}
	return e, s.ensureLinks(ctx, tenant, id, e.msg.Links())
}

// policy is the tenant's consent policy with its defaults, and its
// default sender.
func (s *Store) policy(tenant string) (consent.Policy, string) {
	if s.d.Tenants != nil {
		if v, ok := s.d.Tenants.Tenant(tenant); ok {
			return v.Policy, v.DefaultSender
		}
	}
	return consent.Policy{}.WithDefaults(tenant), ""
}

// run pages through the audience after the cursor, a step at a time.
func (e *expansion) run(ctx context.Context) error {
	for {
		page, err := e.s.d.Contacts.Page(ctx, e.c.Tenant, e.c.Audience, e.c.Cursor, e.s.cfg.Step)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return e.complete(ctx)
		}
		for len(page) > 0 {
			part := page[:min(e.pace.step(e.s.cfg.Step), len(page))]
			page = page[len(part):]
			if err := e.wait(ctx, e.pace.due()); err != nil {
				return err
			}
			if err := e.step(ctx, part); err != nil {
				return err
			}
		}
	}
}

// step sends one part of the audience and commits it with the cursor.
func (e *expansion) step(ctx context.Context, part []contacts.Contact) error {
	d := delta{cursor: part[len(part)-1].ID, expanded: int64(len(part))}
	reqs, who, err := e.requests(ctx, part, &d)
	if err != nil {
		return err
	}
	out := make([]pipeline.Result, len(reqs))
	if err := e.send(ctx, reqs, out); err != nil {
		return err
	}
	for i, r := range out {
		switch {
		case r.Err == nil:
			d.add(who[i], r)
		case errors.Is(r.Err, pipeline.ErrKeyConflict):
			// Queued by an earlier try with another text: the contact
			// changed in between. Sent once all the same.
			d.add(who[i], pipeline.Result{})
		case errors.Is(r.Err, consent.ErrOptedOut), errors.Is(r.Err, consent.ErrNoMarketingConsent), errors.Is(r.Err, consent.ErrSuppressed):
			d.skipped++ // the intake's own consent check, after the page was read
		default:
			d.failed++
			e.s.d.Log.Debug("campaign message refused", "campaign", e.c.ID, "contact", who[i], "err", r.Err)
		}
	}
	e.pace.sent += int64(len(reqs))
	return e.commit(ctx, d)
}

// requests makes the part's messages: contacts a message of the
// template's category may not go to are skipped, texts that cannot be
// made are failed.
func (e *expansion) requests(ctx context.Context, part []contacts.Contact, d *delta) ([]pipeline.Request, []int64, error) {
	eligible := make([]contacts.Contact, 0, len(part))
	for _, c := range part {
		if consent.Decide(e.cat, c.Consent) != nil {
			d.skipped++
			continue
		}
		eligible = append(eligible, c)
	}
	codes, err := e.linkCodes(ctx, eligible)
	if err != nil {
		return nil, nil, err
	}
	now := e.s.now()
	reqs, who := make([]pipeline.Request, 0, len(eligible)), make([]int64, 0, len(eligible))
	for _, c := range eligible {
		r, err := e.msg.Render(c.Language, c.Values(), codes[c.ID])
		if err != nil {
			d.failed++
			continue
		}
		reqs = append(reqs, pipeline.Request{TenantID: e.c.Tenant, To: c.Phone, From: e.from, Body: r.Text, CampaignID: e.c.ID,
			IdempotencyKey: "campaign/" + e.c.ID + "/" + strconv.FormatInt(c.ID, 10), Category: e.cat, SendAt: e.sendAt(c, now),
			Validity: e.c.Validity, Origin: Origin(e.c.ID), Coding: e.coding})
		who = append(who, c.ID)
	}
	return reqs, who, nil
}

// send queues reqs, again and again while the queue is away: the same
// keys make a repeat harmless. It gives up when the campaign stops.
func (e *expansion) send(ctx context.Context, reqs []pipeline.Request, out []pipeline.Result) error {
	wait := 100 * time.Millisecond
	for {
		err := e.s.d.Intake.Send(ctx, reqs, out)
		if errors.Is(err, pipeline.ErrClosed) {
			return err
		}
		retry := err != nil
		for _, r := range out {
			retry = retry || errors.Is(r.Err, pipeline.ErrQueueUnavailable)
		}
		if !retry {
			return nil
		}
		e.s.d.Log.Warn("campaign step not queued; retrying", "campaign", e.c.ID, "err", err)
		if err := e.wait(ctx, e.s.now().Add(wait)); err != nil {
			return err
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// delta is what one step changes.
type delta struct {
	cursor                                 int64
	expanded, skipped, failed, queued, seg int64
	cost                                   int64
	currency                               string
	contacts                               []int64
	ids                                    []string
	segments                               []int32
}

func (d *delta) add(contact int64, r pipeline.Result) {
	d.queued++
	d.seg += int64(r.Segments)
	if r.Price != nil {
		d.cost += int64(r.Price.Total)
		d.currency = r.Price.Currency
	}
	d.contacts, d.ids, d.segments = append(d.contacts, contact), append(d.ids, r.ID), append(d.segments, int32(r.Segments))
}

// commit records the step's messages and moves the cursor past it, on
// the locked connection; it returns errStopped when the campaign no
// longer runs.
func (e *expansion) commit(ctx context.Context, d delta) error {
	var state int16
	err := pgx.BeginFunc(ctx, e.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO campaign_messages (tenant_id, campaign_id, contact_id, message_id, segments)
			SELECT $1, $2, * FROM unnest($3::int8[], $4::text[], $5::int4[]) ON CONFLICT DO NOTHING`, e.c.Tenant, e.c.ID, d.contacts, d.ids, d.segments); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `UPDATE campaigns SET cursor = $3, expanded = expanded + $4, skipped = skipped + $5, failed = failed + $6,
			queued = queued + $7, segments = segments + $8, cost_micros = cost_micros + $9, currency = CASE WHEN $10 = '' THEN currency ELSE $10 END,
			updated_at = now() WHERE tenant_id = $1 AND id = $2 AND cursor < $3 RETURNING state`,
			e.c.Tenant, e.c.ID, d.cursor, d.expanded, d.skipped, d.failed, d.queued, d.seg, d.cost, d.currency).Scan(&state)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("campaign %s: cursor moved by another expansion: %w", e.c.ID, errStopped)
	}
	if err != nil {
		return fmt.Errorf("campaign %s step: %w", e.c.ID, err)
	}
	e.c.Cursor = d.cursor
	if campaign.State(state) != campaign.Running {
		return errStopped
	}
	return nil
}

// complete marks the campaign completed once its last contact was
// expanded.
func (e *expansion) complete(ctx context.Context) error {
	return pgx.BeginFunc(ctx, e.conn, func(tx pgx.Tx) error {
		err := e.s.act(ctx, tx, e.c.Tenant, e.c.ID, campaign.Complete)
		if errors.Is(err, campaign.ErrTransition) {
			return nil // paused or canceled meanwhile
		}
		return err
	})
}
