package flow

import (
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/quiet"
)

// Flow ids of the catalogue.
const (
	AbandonedCheckout = "abandoned_checkout"
	OrderConfirmation = "order_confirmation"
	ShippingUpdate    = "shipping_update"
	DeliveryUpdates   = "delivery_updates"
	ReviewRequest     = "review_request"
	BackInStock       = "back_in_stock"
	PaymentRecovery   = "payment_recovery"
	WinBack           = "win_back"
)

const (
	transactional = core.CategoryTransactional
	marketing     = core.CategoryMarketing
	stop          = " Reply STOP to opt out."
)

var (
	placed    = Exit{On: []commerce.Type{commerce.OrderCreated, commerce.OrderPaid}, Match: []Match{SameCheckout, SameCustomer}, Text: "an order was placed"}
	cancelled = Exit{On: []commerce.Type{commerce.OrderCancelled}, Match: []Match{SameOrder}, Text: "the order was cancelled"}
)

// Catalogue returns the flows tern ships, each a fresh copy.
func Catalogue() []Flow {
	return []Flow{
		{ID: AbandonedCheckout, Name: "Abandoned checkout",
			Description: "Reminds a customer who started a checkout and did not order. At most one reminder series per checkout; marketing, so consent, the frequency cap and quiet hours apply.",
			Trigger:     Trigger{On: []commerce.Type{commerce.CheckoutStarted, commerce.CheckoutUpdated}, Text: "a checkout is started or updated"},
			Once:        PerCheckout,
			Steps: []Step{
				{Name: "wait", Kind: Wait, Delay: time.Hour},
				{Name: "reminder", Kind: Send, Category: marketing,
					Template: "{{shop_name}}: {{first_name|Hi}}, you left something in your cart. Complete your order: {{checkout_url}}" + stop},
			},
			Exits: []Exit{placed}},
		{ID: OrderConfirmation, Name: "Order confirmation", Description: "Confirms an order as soon as it is placed.",
			Trigger: Trigger{On: []commerce.Type{commerce.OrderCreated}, Text: "an order is placed"}, Once: PerOrder,
			Steps: []Step{{Name: "confirmation", Kind: Send, Category: transactional,
				Template: "{{shop_name}}: thanks for your order, {{first_name|there}}! Order {{order_name}} is confirmed. {{order_url|}}"}}},
		{ID: ShippingUpdate, Name: "Shipping update", Description: "Tells the customer their order has shipped, with the tracking link when there is one.",
			Trigger: Trigger{On: []commerce.Type{commerce.FulfillmentCreated}, Text: "a shipment is created"}, Once: PerFulfillment,
			Steps: []Step{
				{Name: "has_tracking", Kind: Branch, If: Condition{Var: "tracking_url", Op: Present}, Next: "shipped_tracking", Else: "shipped"},
				{Name: "shipped_tracking", Kind: Send, Category: transactional, Next: End,
					Template: "{{shop_name}}: order {{order_name}} has shipped with {{carrier|the carrier}}. Track it: {{tracking_url}}"},
				{Name: "shipped", Kind: Send, Category: transactional,
					Template: "{{shop_name}}: order {{order_name}} has shipped with {{carrier|the carrier}}."},
			},
			Exits: []Exit{cancelled}},
		{ID: DeliveryUpdates, Name: "Out for delivery / delivered", Description: "Tells the customer when the shipment is out for delivery and when it is delivered.",
			Trigger: Trigger{On: []commerce.Type{commerce.FulfillmentUpdated}, If: Condition{Var: "shipment_status", Op: OneOf, Values: []string{"out_for_delivery", "delivered"}},
				Text: "a shipment is out for delivery or delivered"},
			Once: PerFulfillmentStatus,
			Steps: []Step{
				{Name: "status", Kind: Branch, If: Condition{Var: "shipment_status", Op: OneOf, Values: []string{"out_for_delivery"}}, Next: "out_for_delivery", Else: "delivered"},
				{Name: "out_for_delivery", Kind: Send, Category: transactional, Next: End,
					Template: "{{shop_name}}: order {{order_name}} is out for delivery today. {{tracking_url|}}"},
				{Name: "delivered", Kind: Send, Category: transactional,
					Template: "{{shop_name}}: order {{order_name}} has been delivered. Enjoy!"},
			}},
		{ID: ReviewRequest, Name: "Review request", Description: "Asks for a review some days after delivery, at a reasonable local hour.",
			Trigger: Trigger{On: []commerce.Type{commerce.FulfillmentUpdated}, If: Condition{Var: "shipment_status", Op: OneOf, Values: []string{"delivered"}},
				Text: "a shipment is delivered"},
			Once: PerOrder,
			Steps: []Step{
				{Name: "wait", Kind: Wait, Delay: 7 * 24 * time.Hour},
				{Name: "send_time", Kind: WaitUntil, At: quiet.ClockOf(10, 0)},
				{Name: "has_link", Kind: Branch, If: Condition{Var: "review_url", Op: Present}, Else: End},
				{Name: "review", Kind: Send, Category: marketing,
					Template: "{{shop_name}}: how is your {{product_title|order}}, {{first_name|there}}? Tell us: {{review_url}}" + stop},
			},
			Exits: []Exit{cancelled, {On: []commerce.Type{commerce.RefundCreated}, Match: []Match{SameOrder}, Text: "the order was refunded"}}},
		{ID: BackInStock, Name: "Back in stock", Description: "Tells the customers who asked for a variant that it is back in stock, once.",
			Trigger: Trigger{On: []commerce.Type{commerce.InventoryRestocked}, Subscribers: true, Text: "a variant customers subscribed to is restocked"},
			Once:    PerSubscription,
			Steps: []Step{{Name: "back_in_stock", Kind: Send, Category: marketing,
				Template: "{{shop_name}}: {{product_title|an item you wanted}} is back in stock. {{product_url|}}" + stop}}},
		{ID: PaymentRecovery, Name: "Payment failed / payment reminder", Description: "Tells the customer a payment failed, and reminds them a day later unless it was paid.",
			Trigger: Trigger{On: []commerce.Type{commerce.PaymentFailed}, Text: "a payment fails"}, Once: PerOrder,
			Steps: []Step{
				{Name: "payment_failed", Kind: Send, Category: transactional,
					Template: "{{shop_name}}: the payment for order {{order_name}} did not go through. Please try again: {{payment_url}}"},
				{Name: "reminder_wait", Kind: Wait, Delay: 24 * time.Hour},
				{Name: "payment_reminder", Kind: Send, Category: transactional,
					Template: "{{shop_name}}: order {{order_name}} is still waiting for payment: {{payment_url}}"},
			},
			Exits: []Exit{cancelled, {On: []commerce.Type{commerce.OrderPaid}, Match: []Match{SameOrder}, Text: "the order was paid"}}},
		{ID: WinBack, Name: "Win-back", Description: "Texts a customer who has not ordered for a while, once per lapse.",
			Trigger: Trigger{Daily: true, Text: "a daily scan finds a customer whose last order is older than inactive_for"}, Once: PerLapse,
			InactiveFor: 60 * 24 * time.Hour,
			Steps: []Step{
				{Name: "send_time", Kind: WaitUntil, At: quiet.ClockOf(11, 0)},
				{Name: "win_back", Kind: Send, Category: marketing,
					Template: "{{shop_name}}: we miss you, {{first_name|there}}! Come and see what is new." + stop},
			},
			Exits: []Exit{{On: []commerce.Type{commerce.OrderCreated}, Match: []Match{SameCustomer}, Text: "the customer ordered again"}}},
	}
}

// Lookup returns the catalogue's flow id.
func Lookup(id string) (Flow, bool) {
	for _, f := range Catalogue() {
		if f.ID == id {
			return f, true
		}
	}
	return Flow{}, false
}
