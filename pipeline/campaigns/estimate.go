package campaigns

import (
	"context"
	"errors"
	"strings"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/campaign"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/link"
	"github.com/ternsms/tern/core/price"
	"github.com/ternsms/tern/core/tmpl"
	"github.com/ternsms/tern/pipeline/contacts"
	"github.com/ternsms/tern/pipeline/templates"
)

// MaxSample is the most contacts an estimate renders.
const MaxSample = 10_000

// EstimateFor is who an estimate is for: one contact (Contact, or Values
// with "phone" in E.164 for the price), or an audience's contacts.
type EstimateFor struct {
	Contact  *contacts.Contact
	Values   map[string]string
	Audience *contacts.Audience
}

// Estimate is what a template costs for its recipients.
type Estimate struct {
	// Recipients the estimate is for: for an audience, those the
	// template's category may go to; Sampled of them were rendered.
	Recipients int64
	Sampled    int64
	// Worst is the costliest message: of the sampled texts, and of any
	// text the template can make when its variables are bounded.
	Worst gsm.Info
	// AvgSegments is the mean over the sampled texts.
	AvgSegments float64
	// Prices, in Currency, when a price table is configured: the worst
	// message, the mean, and both times Recipients.
	Priced       bool
	Currency     string
	WorstPrice   price.Amount
	AvgPrice     price.Amount
	TotalWorst   price.Amount
	TotalAverage price.Amount
	// RenderFailures counts sampled contacts whose text cannot be made.
	RenderFailures int64
	// SampleText is the first sampled contact's text.
	SampleText string
}

// tally adds up rendered samples.
type tally struct {
	Estimate
	segs     int64
	priceSum price.Amount
	maxPer   price.Amount // the highest price a segment of a sample
}

// EstimateTemplate measures version t for f: texts are rendered with
// placeholder link codes, and nothing is stored.
func (s *Store) EstimateTemplate(ctx context.Context, tenant string, t templates.Template, f EstimateFor) (Estimate, error) {
	policy, _ := s.policy(tenant)
	coding := s.coding(tenant)
	msg, err := campaign.Compile(t.Spec(), policy, s.cfg.LinkBase, coding)
	if err != nil {
		return Estimate{}, err
	}
	var tl tally
	switch {
	case f.Audience != nil:
		if err := s.sampleAudience(ctx, tenant, *f.Audience, t.Category, msg, &tl); err != nil {
			return Estimate{}, err
		}
	case f.Contact != nil:
		tl.Recipients = 1
		s.measure(msg, *f.Contact, &tl)
	default:
		c := contacts.Contact{Attributes: f.Values}
		if n, err := s.d.Phones.Parse(strings.TrimSpace(f.Values["phone"]), ""); err == nil {
			c.Phone, c.Country = n.E164, n.Region
		}
		c.Language = f.Values["language"]
		tl.Recipients = 1
		s.measure(msg, c, &tl)
	}
	s.finish(msg, &tl)
	return tl.Estimate, nil
}

// sampleAudience counts the audience's recipients and renders the first
// MaxSample of them.
func (s *Store) sampleAudience(ctx context.Context, tenant string, a contacts.Audience, cat core.Category, msg *campaign.Message, tl *tally) error {
	_, sendable, err := s.d.Contacts.Count(ctx, tenant, a, cat)
	if err != nil {
		return err
	}
	tl.Recipients = sendable
	a.SendableFor = cat.Normalize()
	for after := int64(0); tl.Sampled+tl.RenderFailures < MaxSample; {
		page, err := s.d.Contacts.Page(ctx, tenant, a, after, 1000)
		if err != nil {
			return err
		}
		for _, c := range page {
			s.measure(msg, c, tl)
		}
		if len(page) < 1000 {
			return nil
		}
		after = page[len(page)-1].ID
	}
	return nil
}

// measure renders one contact's text and adds it up.
func (s *Store) measure(msg *campaign.Message, c contacts.Contact, tl *tally) {
	short := make([]string, len(msg.Links()))
	for i := range short {
		short[i] = link.Short(s.cfg.LinkBase, strings.Repeat("x", link.CodeLen))
	}
	r, err := msg.Render(c.Language, c.Values(), short)
	if err != nil {
		tl.RenderFailures++
		return
	}
	if tl.Sampled == 0 {
		tl.SampleText = r.Text
	}
	tl.Sampled++
	tl.segs += int64(r.Segments)
	if worse(r.Info, tl.Worst) {
		tl.Worst = r.Info
	}
	if s.d.Prices == nil || c.Country == "" {
		return
	}
	per, err := s.d.Prices.PerSegment(c.Country, "")
	if err != nil {
		return
	}
	tl.Priced, tl.Currency = true, s.d.Prices.Currency
	tl.priceSum += per.Times(r.Segments)
	tl.maxPer = max(tl.maxPer, per)
}

func worse(a, b gsm.Info) bool {
	return a.Segments > b.Segments || a.Segments == b.Segments && a.Units > b.Units
}

// finish folds in the template's own worst case and works out means and
// totals.
func (s *Store) finish(msg *campaign.Message, tl *tally) {
	if w, err := msg.Worst(); err == nil && worse(w, tl.Worst) {
		tl.Worst = w
	} else if err != nil && !errors.Is(err, tmpl.ErrUnbounded) {
		s.d.Log.Debug("template worst case", "err", err)
	}
	if tl.Sampled > 0 {
		tl.AvgSegments = float64(tl.segs) / float64(tl.Sampled)
		tl.AvgPrice = tl.priceSum / price.Amount(tl.Sampled)
	}
	if tl.Priced {
		tl.WorstPrice = tl.maxPer.Times(tl.Worst.Segments)
		tl.TotalWorst = tl.WorstPrice.Times(int(tl.Recipients))
		tl.TotalAverage = tl.AvgPrice.Times(int(tl.Recipients))
	}
}

// EstimateCampaign is the tenant's campaign id's audience now, how many
// of it the campaign would not reach (consent, suppression), and the cost
// for the rest.
func (s *Store) EstimateCampaign(ctx context.Context, tenant, id string) (audience, suppressed int64, e Estimate, err error) {
	c, err := s.Get(ctx, tenant, id)
	if err != nil {
		return 0, 0, e, err
	}
	t, err := s.d.Templates.Get(ctx, tenant, c.TemplateID, c.TemplateVersion)
	if err != nil {
		return 0, 0, e, invalid("template_id", "the campaign's template was deleted")
	}
	total, _, err := s.d.Contacts.Count(ctx, tenant, c.Audience, t.Category)
	if err != nil {
		return 0, 0, e, err
	}
	e, err = s.EstimateTemplate(ctx, tenant, t, EstimateFor{Audience: &c.Audience})
	return total, total - e.Recipients, e, err
}
