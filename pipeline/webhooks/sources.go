package webhooks

import (
	"context"
	"encoding/hex"
	"log/slog"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/pipeline/stream"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// Decoder reads a record of a topic another feature owns (campaign
// completions) as an event; ok false skips it.
type Decoder func(r *kgo.Record) (ev Event, ok bool, err error)

// Numbers finds the tenant and number behind a suppression key;
// consent.Ledger is one. "" when the number was erased.
type Numbers interface {
	NumberByKey(ctx context.Context, key []byte) (tenant, number string, err error)
}

// SourceConfig says which topics feed the webhooks. Empty topics take
// tern's defaults.
type SourceConfig struct {
	Brokers []string
	// Group is the consumer group. Default "tern-webhooks".
	Group string
	// Events gives message.status. Default "tern.events".
	Events string
	// Replies gives message.inbound. Default "tern.replies".
	Replies string
	// Suppressions gives contact.opted_out and contact.opted_in.
	// Default "tern.suppressions".
	Suppressions string
	// FlowRuns gives flow.run_exited. Default "tern.flow-runs".
	FlowRuns string
	// Decoders read further topics, e.g. campaign.completed's.
	Decoders  map[string]Decoder
	KafkaOpts []kgo.Opt
}

func (c SourceConfig) withDefaults() SourceConfig {
	for _, f := range []struct {
		v   *string
		def string
	}{{&c.Group, "tern-webhooks"}, {&c.Events, "tern.events"}, {&c.Replies, "tern.replies"}, {&c.Suppressions, "tern.suppressions"},
		{&c.FlowRuns, "tern.flow-runs"}} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
	return c
}

// Sources turns tern's records into webhook events.
type Sources struct {
	o       *Outbox
	cfg     SourceConfig
	numbers Numbers
	log     *slog.Logger
}

// Sources returns the consumers feeding o; numbers may be nil (opt-out
// events then carry no number).
func (o *Outbox) Sources(cfg SourceConfig, numbers Numbers) *Sources {
	return &Sources{o: o, cfg: cfg.withDefaults(), numbers: numbers, log: o.log}
}

// Run consumes until ctx ends. A batch is committed once its events are
// in the outbox; while Emit waits for a slow endpoint, nothing more is
// read.
func (s *Sources) Run(ctx context.Context) error {
	topics := []string{s.cfg.Events, s.cfg.Replies, s.cfg.Suppressions, s.cfg.FlowRuns}
	for t := range s.cfg.Decoders {
		topics = append(topics, t)
	}
	g := stream.Group{Brokers: s.cfg.Brokers, Group: s.cfg.Group, Topics: topics, Opts: s.cfg.KafkaOpts, Log: s.log, Batch: 2000}
	return stream.Consume(ctx, g, s.handle)
}

func (s *Sources) handle(ctx context.Context, recs []*kgo.Record) error {
	evs := make([]Event, 0, len(recs))
	for _, r := range recs {
		ev, ok, err := s.event(ctx, r)
		if err != nil {
			s.log.Error("webhook source record skipped", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
			continue
		}
		if ok {
			evs = append(evs, ev)
		}
	}
	return s.o.Emit(ctx, evs)
}

// event reads one record.
func (s *Sources) event(ctx context.Context, r *kgo.Record) (Event, bool, error) {
	switch r.Topic {
	case s.cfg.Events:
		var x recordv1.Event
		if err := proto.Unmarshal(r.Value, &x); err != nil {
			return Event{}, false, err
		}
		return StatusEvent(&x)
	case s.cfg.Replies:
		var x recordv1.Reply
		if err := proto.Unmarshal(r.Value, &x); err != nil {
			return Event{}, false, err
		}
		return InboundEvent(&x)
	case s.cfg.Suppressions:
		var x recordv1.Suppression
		if err := proto.Unmarshal(r.Value, &x); err != nil {
			return Event{}, false, err
		}
		return s.contactEvent(ctx, &x)
	case s.cfg.FlowRuns:
		var x recordv1.FlowRunEnded
		if err := proto.Unmarshal(r.Value, &x); err != nil {
			return Event{}, false, err
		}
		return FlowEvent(&x)
	}
	if d := s.cfg.Decoders[r.Topic]; d != nil {
		return d(r)
	}
	return Event{}, false, nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// StatusEvent is message.status for a status change, ordered by
// message.
func StatusEvent(x *recordv1.Event) (Event, bool, error) {
	if x.TenantId == "" || x.MessageId == "" {
		return Event{}, false, nil
	}
	at := x.GetTime().AsTime()
	status := core.Status(x.Status).String()
	return Event{ID: EventID(MessageStatus, x.MessageId, status, rfc3339(at)), Tenant: x.TenantId, Type: MessageStatus,
		OrderingKey: x.MessageId, Created: at, Data: map[string]any{
			"message_id": x.MessageId, "status": status, "to": x.To, "campaign_id": x.CampaignId,
			"category": core.Category(x.Category).String(), "segments": x.Segments, "carrier": x.Carrier,
			"error_code": x.ErrorCode, "reason": x.Reason, "origin": x.Origin, "in_doubt": x.InDoubt, "at": rfc3339(at)}}, true, nil
}

// InboundEvent is message.inbound for a customer's reply, ordered by
// the customer's number.
func InboundEvent(x *recordv1.Reply) (Event, bool, error) {
	if x.TenantId == "" {
		return Event{}, false, nil
	}
	at := x.GetReceivedAt().AsTime()
	return Event{ID: EventID(MessageInbound, x.Source, x.From, rfc3339(at)), Tenant: x.TenantId, Type: MessageInbound, OrderingKey: x.From,
		Created: at, Data: map[string]any{"from": x.From, "to": x.To, "text": x.Text, "intent": x.Intent, "keyword": x.Keyword,
			"action": x.Action, "received_at": rfc3339(at)}}, true, nil
}

// contactEvent is contact.opted_out or contact.opted_in for a consent
// state change, ordered by number.
func (s *Sources) contactEvent(ctx context.Context, x *recordv1.Suppression) (Event, bool, error) {
	if x.TenantId == "" {
		return Event{}, false, nil
	}
	number := ""
	if s.numbers != nil {
		var err error
		if _, number, err = s.numbers.NumberByKey(ctx, x.Key); err != nil {
			return Event{}, false, err
		}
	}
	st := consent.FromBits(uint8(x.Bits))
	typ, scope := ContactOptedIn, ""
	if st.OptedOut {
		typ, scope = ContactOptedOut, st.OptOutScope.String()
	}
	key := hex.EncodeToString(x.Key)
	at := x.GetChangedAt().AsTime()
	return Event{ID: EventID("contact", x.TenantId, key, strconv.FormatInt(x.Version, 10)), Tenant: x.TenantId,
		Type: typ, OrderingKey: key, Created: at, Data: map[string]any{"number": number, "opted_out": st.OptedOut, "scope": scope,
			"marketing": st.Marketing, "erased": st.Erased, "version": x.Version, "at": rfc3339(at)}}, true, nil
}

// FlowEvent is flow.run_exited for a flow run's end.
func FlowEvent(x *recordv1.FlowRunEnded) (Event, bool, error) {
	if x.TenantId == "" || x.RunId == "" {
		return Event{}, false, nil
	}
	ended := x.GetEndedAt().AsTime()
	return Event{ID: EventID(FlowRunExited, x.TenantId, x.RunId), Tenant: x.TenantId, Type: FlowRunExited, Created: ended,
		Data: map[string]any{"run_id": x.RunId, "flow_id": x.FlowId, "state": x.State, "reason": x.Reason, "customer_phone": x.CustomerPhone,
			"trigger_event_id": x.TriggerEventId, "messages_sent": x.MessagesSent, "started_at": rfc3339(x.GetStartedAt().AsTime()),
			"ended_at": rfc3339(ended)}}, true, nil
}
