package flow

import (
	"slices"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/quiet"
)

// StepKind is what a step does. The values equal the tern.v1
// FlowStepKind enum.
type StepKind uint8

const (
	_ StepKind = iota
	// Wait waits Delay.
	Wait
	// WaitUntil waits until the local time At in the recipient's zone.
	WaitUntil
	// Send renders Template and sends it as Category.
	Send
	// Branch goes to Next when If holds, else to Else.
	Branch
)

// End, as a step's Next or Else, ends the run.
const End = "end"

// Step is one step of a flow.
type Step struct {
	// Name is unique within the flow; settings name steps by it.
	Name     string
	Kind     StepKind
	Delay    time.Duration
	At       quiet.Clock
	Template string
	Category core.Category
	If       Condition
	// Next is the step after this one ("" the following one, End to
	// finish); for a Branch, where to go when If holds.
	Next string
	// Else is where a Branch goes when If does not hold.
	Else string
}

// Match says which later event concerns a run.
type Match uint8

const (
	// SameCheckout: the event's checkout is the run's.
	SameCheckout Match = iota + 1
	// SameOrder: the event's order is the run's.
	SameOrder
	// SameCustomer: the event's customer is the run's.
	SameCustomer
)

// Exit ends a run early when an event On arrives that matches it by any
// of Match.
type Exit struct {
	On    []commerce.Type
	Match []Match
	// Text says it in words, e.g. "an order is placed".
	Text string
}

// Trigger is what starts a run.
type Trigger struct {
	// On are the event types that may start a run.
	On []commerce.Type
	// If, when set, must hold on the event's variables.
	If Condition
	// Subscribers: the event does not start a run for its own customer
	// but one for each customer subscribed to its items' variants (back
	// in stock).
	Subscribers bool
	// Daily: a daily scan starts runs (win-back); On is empty.
	Daily bool
	// Text says it in words.
	Text string
}

// Once is what a run is unique by within its flow.
type Once uint8

const (
	// PerCheckout: one run per checkout.
	PerCheckout Once = iota + 1
	// PerOrder: one run per order.
	PerOrder
	// PerFulfillment: one run per fulfillment.
	PerFulfillment
	// PerFulfillmentStatus: one run per fulfillment and shipment status.
	PerFulfillmentStatus
	// PerSubscription: one run per back-in-stock subscription; the
	// runner supplies the key.
	PerSubscription
	// PerLapse: one run per customer and last order (win-back); the
	// runner supplies the key.
	PerLapse
)

// Flow is one flow of the catalogue, or a tenant's configured copy.
type Flow struct {
	ID          string
	Name        string
	Description string
	Trigger     Trigger
	Once        Once
	Steps       []Step
	Exits       []Exit
	// InactiveFor is win-back's lapse: how long without an order.
	InactiveFor time.Duration
}

// index returns the position of the step named name: len(f.Steps) for
// End, i+1 for "" after step i.
func (f Flow) index(name string, after int) int {
	switch name {
	case "":
		return after + 1
	case End:
		return len(f.Steps)
	}
	for i, s := range f.Steps {
		if s.Name == name {
			return i
		}
	}
	return len(f.Steps)
}

// Triggered tells whether e starts a run of f (before the once check).
func (f Flow) Triggered(e commerce.Event) bool {
	if f.Trigger.Daily || !slices.Contains(f.Trigger.On, e.Type) {
		return false
	}
	return f.Trigger.If.Var == "" || f.Trigger.If.Holds(Vars(e, ""))
}

// Subject is what a run is about, for its key and its listing.
type Subject struct {
	CheckoutID  string
	OrderID     string
	CustomerKey string
}

// SubjectOf is the subject of a run e starts.
func SubjectOf(e commerce.Event) Subject {
	return Subject{CheckoutID: e.CheckoutID, OrderID: e.OrderID, CustomerKey: e.CustomerKey()}
}

// OnceKey is the key a run of f started by e is unique by, or "" when e
// lacks what it needs (a checkout event without a checkout id). For
// PerSubscription and PerLapse the runner makes the key.
func (f Flow) OnceKey(e commerce.Event) string {
	switch f.Once {
	case PerCheckout:
		return prefixed("checkout:", e.CheckoutID)
	case PerOrder:
		return prefixed("order:", e.OrderID)
	case PerFulfillment:
		return prefixed("fulfillment:", firstOf(e.FulfillmentID, e.OrderID))
	case PerFulfillmentStatus:
		if e.ShipmentStatus == "" {
			return ""
		}
		return prefixed("fulfillment:", firstOf(e.FulfillmentID, e.OrderID)) + ":" + e.ShipmentStatus
	}
	return ""
}

// ExitFor returns why e ends a run of f about s, and whether it does.
func (f Flow) ExitFor(s Subject, e commerce.Event) (string, bool) {
	for _, x := range f.Exits {
		if !slices.Contains(x.On, e.Type) {
			continue
		}
		for _, m := range x.Match {
			switch {
			case m == SameCheckout && s.CheckoutID != "" && e.CheckoutID == s.CheckoutID,
				m == SameOrder && s.OrderID != "" && e.OrderID == s.OrderID,
				m == SameCustomer && s.CustomerKey != "" && e.CustomerKey() == s.CustomerKey:
				return x.Text + " (" + e.Type.String() + " " + e.ID + ")", true
			}
		}
	}
	return "", false
}

// ExitTypes are the event types that may end a run of f.
func (f Flow) ExitTypes() []commerce.Type {
	var out []commerce.Type
	for _, x := range f.Exits {
		out = append(out, x.On...)
	}
	return out
}

func prefixed(p, v string) string {
	if v == "" {
		return ""
	}
	return p + v
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
