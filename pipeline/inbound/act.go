package inbound

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/keyword"
	"github.com/ternsms/tern/pipeline"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/tenants"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// Actions: what tern did about a reply.
const (
	ActionNone            = "none"
	ActionOptedOut        = "opted_out"
	ActionAlreadyOptedOut = "already_opted_out"
	ActionOptedIn         = "opted_in"
	ActionConfirmed       = "confirmed"
	ActionHelp            = "help_sent"
)

// act stores reply, acts on it once and answers it once. The action is
// decided on the first delivery and stored with the reply; a redelivery
// only finishes what is left (the answer).
func (p *Processor) act(ctx context.Context, view *tenants.View, reply Reply) error {
	now := p.now()
	if reply.Reading.Intent == keyword.None && !p.limits.store(reply.From, now) {
		// Over its number's rate: neither stored nor described (it still
		// reaches the SMPP account owning the number).
		p.log.Debug("reply over its number's rate; not stored", "source", reply.Source)
		return nil
	}
	stored, err := p.store.put(ctx, reply)
	if err != nil {
		return err
	}
	if stored.Answered {
		return nil
	}
	action := stored.Action
	if action == "" {
		if action, err = p.decide(ctx, view, reply); err != nil {
			return err
		}
		if err := p.store.setAction(ctx, stored.ID, action, false); err != nil {
			return err
		}
	}
	reply.Action = action
	text, origin := answerFor(view.Policy, action)
	if text != "" && p.limits.reply(reply.From, now) {
		if err := p.answer(ctx, view, reply, text, origin); err != nil {
			return err
		}
		if err := p.store.setAction(ctx, stored.ID, action, true); err != nil {
			return err
		}
	}
	return p.emit(ctx, reply)
}

// decide records what reply asks for in the consent ledger and returns
// the action. Every write carries the MO record as its dedupe key.
func (p *Processor) decide(ctx context.Context, view *tenants.View, reply Reply) (string, error) {
	dedupe := "mo:" + reply.Source
	detail := fmt.Sprintf("reply %q to %s", reply.Reading.Keyword, reply.To)
	ev := consentlog.Event{Tenant: reply.Tenant, Number: reply.From, Method: consentlog.MethodKeyword,
		Source: "sms:" + reply.To, Detail: detail, At: reply.Received, Dedupe: dedupe}
	prior, err := p.ledger.State(ctx, reply.Tenant, reply.From)
	if errors.Is(err, consentlog.ErrInvalid) {
		p.log.Info("reply from a number that is not E.164; not acted on", "source", reply.Source)
		return ActionNone, nil
	}
	if err != nil {
		return "", err
	}
	switch r := reply.Reading; {
	case r.Intent == keyword.OptOut:
		ev.Kind, ev.Scope = consent.OptOut, view.Policy.StopScope
		if _, _, _, err := p.ledger.Record(ctx, ev); err != nil {
			return "", err
		}
		if prior.OptedOut && (prior.OptOutScope == consent.ScopeAll || ev.Scope == consent.ScopeMarketing) {
			return ActionAlreadyOptedOut, nil
		}
		return ActionOptedOut, nil
	case r.Intent == keyword.OptIn && r.Confirms:
		_, _, _, err := p.ledger.Confirm(ctx, reply.Tenant, reply.From, detail, dedupe)
		switch {
		case err == nil:
			return ActionConfirmed, nil
		case !errors.Is(err, consentlog.ErrNoPending) && !errors.Is(err, consentlog.ErrExpired):
			return "", err
		case !prior.OptedOut:
			return ActionNone, nil // a yes to nothing tern asked
		}
		fallthrough // opted out: YES opts back in, as START does
	case r.Intent == keyword.OptIn:
		ev.Kind, ev.Scope = consent.OptIn, consent.ScopeAll
		if _, _, _, err := p.ledger.Record(ctx, ev); err != nil {
			return "", err
		}
		return ActionOptedIn, nil
	case r.Intent == keyword.Help:
		return ActionHelp, nil
	}
	return ActionNone, nil
}

// answerFor is the text answering an action, and the origin it goes with.
func answerFor(pol consent.Policy, action string) (text, origin string) {
	switch action {
	case ActionOptedOut:
		return pol.Text(pol.StopText), consent.OriginPrefix + "stop"
	case ActionOptedIn:
		return pol.Text(pol.StartText), consent.OriginPrefix + "start"
	case ActionConfirmed:
		return pol.Text(pol.ConfirmedText), consent.OriginPrefix + "confirmed"
	case ActionHelp:
		return pol.Text(pol.HelpText), consent.OriginPrefix + "help"
	}
	return "", ""
}

// answer queues tern's answer to reply, from the number it was sent to,
// under an idempotency key of the MO record: queued once however often
// the record comes. A request the intake refuses for good is logged and
// dropped; one it could not queue is retried.
func (p *Processor) answer(ctx context.Context, view *tenants.View, reply Reply, text, origin string) error {
	req := pipeline.Request{TenantID: view.ID, To: reply.From, From: reply.To, Body: text,
		Category: core.CategoryTransactional, IdempotencyKey: "consent:" + reply.Source, Origin: origin}
	var out [1]pipeline.Result
	if err := p.send.Send(ctx, []pipeline.Request{req}, out[:]); err != nil {
		return fmt.Errorf("answer reply: %w", err)
	}
	if err := out[0].Err; err != nil {
		var fe *pipeline.FieldError
		if errors.As(err, &fe) {
			p.log.Warn("answer to a reply refused", "source", reply.Source, "err", err)
			return nil
		}
		return fmt.Errorf("answer reply: %w", err)
	}
	return nil
}

// emit describes reply on the replies topic, when one is configured.
func (p *Processor) emit(ctx context.Context, reply Reply) error {
	if p.cfg.Replies == "" {
		return nil
	}
	v, err := proto.Marshal(&recordv1.Reply{
		TenantId: reply.Tenant, From: reply.From, To: reply.To, Text: reply.Text, Intent: reply.Reading.Intent.String(),
		Keyword: reply.Reading.Keyword, Language: reply.Reading.Language, Action: reply.Action, Carrier: reply.Carrier,
		ReceivedAt: timestamppb.New(reply.Received), Source: reply.Source,
	})
	if err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	if err := p.cl.ProduceSync(ctx, &kgo.Record{Key: []byte(reply.Tenant), Value: v}).FirstErr(); err != nil {
		return fmt.Errorf("produce reply: %w", err)
	}
	return nil
}
