package webhooks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Event types.
const (
	MessageStatus    = "message.status"
	MessageInbound   = "message.inbound"
	ContactOptedOut  = "contact.opted_out"
	ContactOptedIn   = "contact.opted_in"
	CampaignComplete = "campaign.completed"
	FlowRunExited    = "flow.run_exited"
	EndpointDisabled = "webhook.endpoint_disabled"
)

// Types are every event type an endpoint may ask for.
var Types = []string{MessageStatus, MessageInbound, ContactOptedOut, ContactOptedIn, CampaignComplete, FlowRunExited, EndpointDisabled}

// Event is one event for a tenant's endpoints.
type Event struct {
	// ID is the receiver's dedupe key; the same event always has the
	// same id (EventID derives one from what identifies it).
	ID     string
	Tenant string
	Type   string
	// OrderingKey orders events: the endpoint gets one key's events one
	// after another, in the order they were emitted. "" for none.
	OrderingKey string
	Created     time.Time
	// Data is the event's payload, marshalled to JSON.
	Data any
}

// EventID derives a stable event id from the parts that identify an
// event: "evt_" and 24 hex digits.
func EventID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return "evt_" + hex.EncodeToString(h.Sum(nil)[:12])
}

// payload is the JSON body of a post.
type payload struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created string `json:"created_at"`
	Tenant  string `json:"tenant_id"`
	Data    any    `json:"data"`
}

// body is e's JSON body.
func (e Event) body() ([]byte, error) {
	b, err := json.Marshal(payload{ID: e.ID, Type: e.Type, Created: e.Created.UTC().Format(time.RFC3339Nano), Tenant: e.Tenant, Data: e.Data})
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", e.ID, err)
	}
	return b, nil
}

// wants tells whether an endpoint subscribed to events takes type t.
func wants(events []string, t string) bool {
	return slices.Contains(events, "*") || slices.Contains(events, t)
}

// checkEvents validates an endpoint's event filter.
func checkEvents(events []string) error {
	if len(events) == 0 {
		return invalid("events", `required: event types, or "*"`)
	}
	for _, e := range events {
		if e != "*" && !slices.Contains(Types, e) {
			return invalid("events", fmt.Sprintf("unknown event type %q: want %v or \"*\"", e, Types))
		}
	}
	return nil
}
