package commerce

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/core/price"
)

// Type is what happened in a store. The values equal the tern.v1
// StoreEventType enum, so conversions are plain casts.
type Type uint8

const (
	TypeUnspecified Type = iota
	CheckoutStarted
	CheckoutUpdated
	OrderCreated
	OrderPaid
	OrderCancelled
	OrderFulfilled
	FulfillmentCreated
	FulfillmentUpdated
	RefundCreated
	PaymentFailed
	CustomerUpdated
	BackInStockSubscribed
	InventoryRestocked
)

var typeNames = [...]string{
	TypeUnspecified: "unspecified", CheckoutStarted: "checkout_started", CheckoutUpdated: "checkout_updated",
	OrderCreated: "order_created", OrderPaid: "order_paid", OrderCancelled: "order_cancelled", OrderFulfilled: "order_fulfilled",
	FulfillmentCreated: "fulfillment_created", FulfillmentUpdated: "fulfillment_updated", RefundCreated: "refund_created",
	PaymentFailed: "payment_failed", CustomerUpdated: "customer_updated", BackInStockSubscribed: "back_in_stock_subscribed",
	InventoryRestocked: "inventory_restocked",
}

// String returns the snake_case name, e.g. "checkout_started".
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// ParseType reads a String form.
func ParseType(s string) (Type, bool) {
	for i, n := range typeNames {
		if i > 0 && n == s {
			return Type(i), true
		}
	}
	return 0, false
}

// Valid reports whether t is a known type other than unspecified.
func (t Type) Valid() bool { return t > TypeUnspecified && int(t) < len(typeNames) }

// Consent is what the store says about a customer's SMS marketing consent.
type Consent uint8

const (
	// ConsentUnknown: the store says nothing (or "not subscribed", which
	// records nothing).
	ConsentUnknown Consent = iota
	// ConsentSubscribed: the customer agreed to SMS marketing.
	ConsentSubscribed
	// ConsentUnsubscribed: the customer withdrew it.
	ConsentUnsubscribed
)

// Customer is who an event is about, as far as the store knows.
type Customer struct {
	// Phone in E.164 once the event is checked.
	Phone string
	// ContactID is tern's contact id, when the caller knows it.
	ContactID string
	// ExternalID is the platform's customer id.
	ExternalID string
	Email      string
	FirstName  string
	LastName   string
	// SMSMarketing and ConsentAt are the platform's record of SMS
	// marketing consent; ConsentSource says where it was collected.
	SMSMarketing  Consent
	ConsentAt     time.Time
	ConsentSource string
}

// Item is one line of a cart, an order or an inventory change.
type Item struct {
	ProductID string
	VariantID string
	SKU       string
	Title     string
	Quantity  int
	// Price is the unit price.
	Price price.Amount
	URL   string
}

// Event is one store event, from a platform's webhook or the API.
type Event struct {
	// ID identifies the event for dedupe: "shopify:<webhook id>",
	// "woocommerce:<delivery id>", or "api:<idempotency key>".
	ID     string
	Tenant string
	Type   Type
	// Source is "shopify", "woocommerce" or "api".
	Source   string
	Customer Customer
	// OrderID is the platform's order id; OrderName is what the
	// customer sees ("#1001").
	OrderID       string
	OrderName     string
	CheckoutID    string
	FulfillmentID string
	// Amount is the order's or checkout's total (a refund's amount for
	// RefundCreated), in Currency (ISO 4217).
	Amount   price.Amount
	Currency string
	Items    []Item
	// CheckoutURL recovers an abandoned checkout; OrderURL shows the
	// order's status.
	CheckoutURL    string
	OrderURL       string
	TrackingURL    string
	TrackingNumber string
	Carrier        string
	// ShipmentStatus is the carrier's progress as Shopify names it:
	// "in_transit", "out_for_delivery", "delivered", "attempted_delivery",
	// "failure", …; "" when unknown.
	ShipmentStatus string
	// Attributes are further template variables the sender supplies,
	// e.g. "review_url".
	Attributes map[string]string
	OccurredAt time.Time
}

// Limits on an event's fields.
const (
	MaxIDLen      = 255
	MaxTextLen    = 500
	MaxURLLen     = 2048
	MaxItems      = 500
	MaxAttributes = 50
	// MaxFuture is how far ahead of now an event may claim to have
	// happened (clock skew).
	MaxFuture = 5 * time.Minute
)

// CustomerKey is what orders an event among a customer's others: the
// Kafka key of the store events topic, and how flows find a customer's
// runs. "" when the event names no customer.
func (e Event) CustomerKey() string {
	switch c := e.Customer; {
	case c.Phone != "":
		return "phone:" + c.Phone
	case c.ContactID != "":
		return "contact:" + c.ContactID
	case c.ExternalID != "":
		return "customer:" + e.Source + ":" + c.ExternalID
	case e.OrderID != "":
		return "order:" + e.OrderID
	}
	return ""
}

// Check normalizes e (the phone to E.164, the currency to upper case,
// a zero OccurredAt to now) and returns the first problem as a
// *FieldError.
func (e Event) Check(now time.Time) (Event, error) {
	if !e.Type.Valid() {
		return e, invalid("type", "required: one of checkout_started, checkout_updated, order_created, order_paid, order_cancelled, order_fulfilled, fulfillment_created, fulfillment_updated, refund_created, payment_failed, customer_updated, back_in_stock_subscribed, inventory_restocked")
	}
	if err := checkTexts(e); err != nil {
		return e, err
	}
	var err error
	if e.Customer.Phone, err = NormalizePhone(e.Customer.Phone, ""); err != nil {
		return e, err
	}
	e.Currency = strings.ToUpper(strings.TrimSpace(e.Currency))
	if e.Currency != "" && !isCurrency(e.Currency) {
		return e, invalid("currency", "an ISO 4217 code such as USD")
	}
	if e.Amount < 0 {
		return e, invalid("amount", "negative")
	}
	if err := checkURLs(e); err != nil {
		return e, err
	}
	if err := checkItems(e.Items); err != nil {
		return e, err
	}
	if err := checkAttributes(e.Attributes); err != nil {
		return e, err
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = now
	}
	e.OccurredAt = e.OccurredAt.UTC()
	if e.OccurredAt.After(now.Add(MaxFuture)) {
		return e, invalid("occurred_at", "in the future")
	}
	return e, checkRequired(e)
}

// checkRequired names the field a type needs and e lacks.
func checkRequired(e Event) error {
	switch e.Type {
	case CheckoutStarted, CheckoutUpdated:
		if e.CheckoutID == "" {
			return invalid("checkout_id", "required for "+e.Type.String())
		}
	case OrderCreated, OrderPaid, OrderCancelled, OrderFulfilled, FulfillmentCreated, FulfillmentUpdated, RefundCreated, PaymentFailed:
		if e.OrderID == "" {
			return invalid("order_id", "required for "+e.Type.String())
		}
	case CustomerUpdated:
		if e.Customer.Phone == "" && e.Customer.ContactID == "" {
			return invalid("customer.phone", "required for customer_updated (or customer.contact_id)")
		}
	case BackInStockSubscribed, InventoryRestocked:
		if len(e.Items) == 0 || e.Items[0].VariantID == "" {
			return invalid("items", "at least one item with a variant_id is required for "+e.Type.String())
		}
		if e.Type == BackInStockSubscribed && e.Customer.Phone == "" && e.Customer.ContactID == "" {
			return invalid("customer.phone", "required for back_in_stock_subscribed (or customer.contact_id)")
		}
	}
	return nil
}

func checkTexts(e Event) error {
	for _, f := range []struct{ name, v string }{
		{"idempotency_key", e.ID}, {"order_id", e.OrderID}, {"order_name", e.OrderName}, {"checkout_id", e.CheckoutID},
		{"fulfillment_id", e.FulfillmentID}, {"customer.contact_id", e.Customer.ContactID}, {"customer.external_id", e.Customer.ExternalID},
		{"tracking_number", e.TrackingNumber}, {"shipment_status", e.ShipmentStatus},
	} {
		if r := checkID(f.v, MaxIDLen); r != "" {
			return invalid(f.name, r)
		}
	}
	for _, f := range []struct{ name, v string }{
		{"customer.email", e.Customer.Email}, {"customer.first_name", e.Customer.FirstName}, {"customer.last_name", e.Customer.LastName},
		{"carrier", e.Carrier}, {"customer.consent_source", e.Customer.ConsentSource},
	} {
		if r := checkID(f.v, MaxTextLen); r != "" {
			return invalid(f.name, r)
		}
	}
	return nil
}

// checkID returns why s is not usable as stored text, or "".
func checkID(s string, max int) string {
	switch {
	case len(s) > max:
		return fmt.Sprintf("longer than %d bytes", max)
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "control characters are not allowed"
	}
	return ""
}

func checkURLs(e Event) error {
	for _, f := range []struct{ name, v string }{
		{"checkout_url", e.CheckoutURL}, {"order_url", e.OrderURL}, {"tracking_url", e.TrackingURL},
	} {
		if r := checkURL(f.v); r != "" {
			return invalid(f.name, r)
		}
	}
	return nil
}

// checkURL returns why u is not an absolute http(s) URL, or "" (also
// for an empty u).
func checkURL(u string) string {
	if u == "" {
		return ""
	}
	if r := checkID(u, MaxURLLen); r != "" {
		return r
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "not an absolute http or https URL"
	}
	return ""
}

func checkItems(items []Item) error {
	if len(items) > MaxItems {
		return invalid("items", fmt.Sprintf("more than %d", MaxItems))
	}
	for i, it := range items {
		f := fmt.Sprintf("items[%d].", i)
		for _, g := range []struct{ name, v string }{{"product_id", it.ProductID}, {"variant_id", it.VariantID}, {"sku", it.SKU}} {
			if r := checkID(g.v, MaxIDLen); r != "" {
				return invalid(f+g.name, r)
			}
		}
		if r := checkID(it.Title, MaxTextLen); r != "" {
			return invalid(f+"title", r)
		}
		if r := checkURL(it.URL); r != "" {
			return invalid(f+"url", r)
		}
		if it.Quantity < 0 || it.Price < 0 {
			return invalid(f+"quantity", "negative quantity or price")
		}
	}
	return nil
}

func checkAttributes(attrs map[string]string) error {
	if len(attrs) > MaxAttributes {
		return invalid("attributes", fmt.Sprintf("more than %d", MaxAttributes))
	}
	for k, v := range attrs {
		if !validAttr(k) {
			return invalid("attributes", fmt.Sprintf("name %q: letters, digits and underscores, starting with a letter, up to 64", k))
		}
		if r := checkID(v, MaxURLLen); r != "" {
			return invalid("attributes."+k, r)
		}
	}
	return nil
}

func validAttr(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// NormalizePhone returns raw in E.164, reading a national number in
// region (ISO 3166-1 alpha-2) when it has no '+'; "" stays "". A number
// that does not parse is a *FieldError naming customer.phone.
func NormalizePhone(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	if region == "" && !strings.HasPrefix(raw, "+") {
		raw = "+" + raw
	}
	n, err := phone.Parse(raw, strings.ToUpper(region))
	if err != nil {
		return "", invalid("customer.phone", "not a valid phone number in E.164 form (+14155552671)")
	}
	return n.E164, nil
}
