package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/campaigns"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/contacts"
	"github.com/ternsms/tern/pipeline/templates"
)

// campaignFlags say how campaigns' tracked links look.
type campaignFlags struct {
	linkDomain string
}

func (f *campaignFlags) flags(fs *flag.FlagSet) {
	fs.StringVar(&f.linkDomain, "link-domain", "", "base `URL` of campaigns' tracked links, e.g. https://go.shop.example: each URL in a campaign's text becomes BASE/l/CODE, served by the API; empty: with --dev the API's address, otherwise URLs are sent as written")
}

// linkBase is the prefix of tracked links ("" leaves URLs as written).
func (c *serveConfig) linkBase() (string, error) {
	d := c.campaigns.linkDomain
	if d == "" {
		if !c.dev {
			return "", nil
		}
		scheme := "http"
		if c.api.tlsCert != "" {
			scheme = "https"
		}
		host, port, err := net.SplitHostPort(c.listen)
		if err != nil {
			return "", fmt.Errorf("--listen %q: %w", c.listen, err)
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "127.0.0.1" // listening on every address: this machine's links
		}
		d = scheme + "://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(d)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--link-domain %q: want an http or https URL with a host, e.g. https://go.shop.example", d)
	}
	return strings.TrimSuffix(d, "/") + api.LinkPrefix, nil
}

// campaignParts are what startContacts and startCampaigns open: the
// contact book, the templates, the campaigns with their states and
// runner, and the link redirects.
type campaignParts struct {
	contacts  *contacts.Store
	templates *templates.Store
	campaigns *campaigns.Store
	states    *campaigns.States
	runner    *campaigns.Runner
	links     http.Handler
}

// linkSecret keys link codes: derived from the id key, so every instance
// makes the same codes.
func linkSecret(idKey []byte) []byte {
	m := hmac.New(sha256.New, idKey)
	m.Write([]byte("tern link codes"))
	return m.Sum(nil)
}

// startContacts opens the contact book, templates and campaigns on
// PostgreSQL, and the campaign states the partition actors ask about
// each campaign message (paused: it waits; canceled: it ends CANCELED),
// reloaded within StatesPollEvery of a change on any instance. It starts
// before the pipeline, whose actors ask the states; the campaigns reach
// the intake and canceler startPipeline opens only once startCampaigns
// runs them.
func (s *system) startContacts(ctx context.Context) error {
	c, p, cp := s.c, &s.consent, &s.campaigns
	pgURL := s.r.postgresURL
	base, err := c.linkBase()
	if err != nil {
		return err
	}
	if cp.contacts, err = contacts.Open(ctx, pgURL, consentlog.NewHasher(s.idKey), contacts.WithConsent(p.ledger),
		contacts.WithPhones(s.phones), contacts.WithLogger(s.log)); err != nil {
		return err
	}
	s.st.onStop("contacts store", func(context.Context) error { cp.contacts.Close(); return nil })
	if cp.templates, err = templates.Open(ctx, pgURL, s.log); err != nil {
		return err
	}
	s.st.onStop("templates store", func(context.Context) error { cp.templates.Close(); return nil })
	defaultTables, _ := gsm.ParseLanguages(c.shiftTables) // checked by Validate
	prices, err := loadPrices(c.prices, c.dev)
	if err != nil {
		return err
	}
	cp.campaigns, err = campaigns.Open(ctx, pgURL, campaigns.Config{LinkBase: base, LinkSecret: linkSecret(s.idKey),
		ShiftTables: s.tenants.shiftTables(defaultTables)},
		campaigns.Deps{Contacts: cp.contacts, Templates: cp.templates, Tenants: p.registry, Intake: pipelineOf{s}, Canceler: pipelineOf{s},
			Prices: prices, Phones: s.phones, Log: s.log})
	if err != nil {
		return err
	}
	s.st.onStop("campaigns store", func(context.Context) error { cp.campaigns.Close(); return nil })
	if cp.states, err = cp.campaigns.NewStates(ctx); err != nil {
		return err
	}
	s.st.goRun("campaign states", cp.states.Run)
	return nil
}

// startCampaigns runs this instance's campaign runner (due campaigns
// started, running ones expanded through the intake, canceled ones
// withdrawn), the link redirects with their clicks on the clicks topic,
// which analytics copies into ClickHouse, and the feed of contacts' last
// delivery and click from the events and clicks topics.
func (s *system) startCampaigns(context.Context) error {
	c, cp := s.c, &s.campaigns
	cp.runner = cp.campaigns.NewRunner()
	s.st.goRun("campaign runner", cp.runner.Run)
	feed := cp.contacts.NewFeed(contacts.FeedConfig{Brokers: c.kafka.Brokers, Events: c.kafka.Topics.Events, Clicks: c.kafka.Topics.Clicks,
		ClientOpts: c.kafka.ClientOpts()})
	s.st.goRun("contact activity", feed.Run)
	return s.startLinks(cp)
}

// pipelineOf is the system's intake and canceler, as startPipeline opens
// them: read when called, after it ran.
type pipelineOf struct{ s *system }

func (p pipelineOf) Send(ctx context.Context, reqs []pipeline.Request, out []pipeline.Result) error {
	return p.s.intake.Send(ctx, reqs, out)
}

func (p pipelineOf) Cancel(ctx context.Context, tenantID, id string, created time.Time) error {
	return p.s.cancels.Cancel(ctx, tenantID, id, created)
}

// campaignHolds are the partition actors' campaign holds
// (pipeline.CampaignHolds): the campaign states.
type campaignHolds struct{ states *campaigns.States }

func (h campaignHolds) CampaignHold(tenant, origin string) pipeline.CampaignHold {
	switch h.states.Check(tenant, origin) {
	case campaigns.Wait:
		return pipeline.CampaignWait
	case campaigns.Withdraw:
		return pipeline.CampaignWithdraw
	}
	return pipeline.CampaignGo
}

// startLinks serves tracked links and records their clicks.
func (s *system) startLinks(cp *campaignParts) error {
	c := s.c
	if c.kafka.Topics.Clicks == "" {
		return errors.New("--topic-clicks is required")
	}
	clicks, err := campaigns.NewClicks(c.kafka, c.kafka.Topics.Clicks, s.log)
	if err != nil {
		return err
	}
	s.st.onStop("clicks producer", func(context.Context) error { clicks.Close(); return nil })
	cp.links = api.NewLinkHandler(cp.campaigns.NewLinks(100_000), clicks, s.log)
	w := analytics.NewClicksWriter(s.reports, analytics.ClicksConfig{Brokers: c.kafka.Brokers, Topic: c.kafka.Topics.Clicks,
		ClientOpts: c.kafka.ClientOpts()})
	s.st.goRun("analytics clicks", w.Run)
	return nil
}

// apiDeps adds to d the contact book, templates, campaigns and links.
func (cp *campaignParts) apiDeps(s *system, d *api.Deps) {
	if cp.campaigns == nil {
		return
	}
	if d.Contacts != nil {
		d.Contacts.Book, d.Contacts.Lists, d.Contacts.Segments, d.Contacts.Imports = cp.contacts, cp.contacts, cp.contacts, cp.contacts
	}
	d.Templates = &api.TemplateDeps{Templates: cp.templates, Estimator: cp.campaigns, Book: cp.contacts, Log: s.log}
	d.Campaigns = &api.CampaignDeps{Campaigns: cp.campaigns, Stats: s.reports, Clicks: s.reports, Started: cp.runner.Poke, Log: s.log}
	d.Links = cp.links
	d.Renderer = cp.campaigns.NewRenderer()
}
