package commerce

import (
	"strings"
)

// Shopify topics tern acts on (X-Shopify-Topic).
var shopifyTopics = map[string]Type{
	"checkouts/create":          CheckoutStarted,
	"checkouts/update":          CheckoutUpdated,
	"orders/create":             OrderCreated,
	"orders/paid":               OrderPaid,
	"orders/cancelled":          OrderCancelled,
	"orders/fulfilled":          OrderFulfilled,
	"fulfillments/create":       FulfillmentCreated,
	"fulfillments/update":       FulfillmentUpdated,
	"refunds/create":            RefundCreated,
	"customers/create":          CustomerUpdated,
	"customers/update":          CustomerUpdated,
	"order_transactions/create": PaymentFailed,
}

type shopifyAddress struct {
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	Phone       string `json:"phone"`
	CountryCode string `json:"country_code"`
}

type shopifyConsent struct {
	State       string   `json:"state"`
	UpdatedAt   flexTime `json:"consent_updated_at"`
	CollectedAt string   `json:"consent_collected_from"`
}

type shopifyCustomer struct {
	ID             flexID          `json:"id"`
	Email          string          `json:"email"`
	FirstName      string          `json:"first_name"`
	LastName       string          `json:"last_name"`
	Phone          string          `json:"phone"`
	SMSConsent     *shopifyConsent `json:"sms_marketing_consent"`
	DefaultAddress *shopifyAddress `json:"default_address"`
	UpdatedAt      flexTime        `json:"updated_at"`
	CreatedAt      flexTime        `json:"created_at"`
}

type shopifyLine struct {
	ProductID flexID     `json:"product_id"`
	VariantID flexID     `json:"variant_id"`
	SKU       string     `json:"sku"`
	Title     string     `json:"title"`
	Quantity  int        `json:"quantity"`
	Price     flexAmount `json:"price"`
}

type shopifyFulfillment struct {
	ID              flexID          `json:"id"`
	OrderID         flexID          `json:"order_id"`
	Name            string          `json:"name"`
	Email           string          `json:"email"`
	TrackingCompany string          `json:"tracking_company"`
	TrackingNumber  string          `json:"tracking_number"`
	TrackingURL     string          `json:"tracking_url"`
	TrackingURLs    []string        `json:"tracking_urls"`
	ShipmentStatus  *string         `json:"shipment_status"`
	Destination     *shopifyAddress `json:"destination"`
	LineItems       []shopifyLine   `json:"line_items"`
	CreatedAt       flexTime        `json:"created_at"`
	UpdatedAt       flexTime        `json:"updated_at"`
}

// shopifyOrder is an order or a checkout: they share most fields.
type shopifyOrder struct {
	ID                flexID               `json:"id"`
	Token             string               `json:"token"`
	Name              string               `json:"name"`
	Email             string               `json:"email"`
	Phone             string               `json:"phone"`
	SMSMarketingPhone string               `json:"sms_marketing_phone"`
	AcceptsSMS        bool                 `json:"buyer_accepts_sms_marketing"`
	CheckoutID        flexID               `json:"checkout_id"`
	AbandonedURL      string               `json:"abandoned_checkout_url"`
	OrderStatusURL    string               `json:"order_status_url"`
	TotalPrice        flexAmount           `json:"total_price"`
	Currency          string               `json:"currency"`
	Customer          *shopifyCustomer     `json:"customer"`
	ShippingAddress   *shopifyAddress      `json:"shipping_address"`
	BillingAddress    *shopifyAddress      `json:"billing_address"`
	LineItems         []shopifyLine        `json:"line_items"`
	Fulfillments      []shopifyFulfillment `json:"fulfillments"`
	CreatedAt         flexTime             `json:"created_at"`
	UpdatedAt         flexTime             `json:"updated_at"`
	CompletedAt       flexTime             `json:"completed_at"`
	CancelledAt       flexTime             `json:"cancelled_at"`
	ProcessedAt       flexTime             `json:"processed_at"`
}

type shopifyRefund struct {
	ID           flexID   `json:"id"`
	OrderID      flexID   `json:"order_id"`
	CreatedAt    flexTime `json:"created_at"`
	Transactions []struct {
		Kind     string     `json:"kind"`
		Status   string     `json:"status"`
		Amount   flexAmount `json:"amount"`
		Currency string     `json:"currency"`
	} `json:"transactions"`
}

type shopifyTransaction struct {
	ID        flexID     `json:"id"`
	OrderID   flexID     `json:"order_id"`
	Kind      string     `json:"kind"`
	Status    string     `json:"status"`
	Amount    flexAmount `json:"amount"`
	Currency  string     `json:"currency"`
	CreatedAt flexTime   `json:"created_at"`
}

// ParseShopify reads the body of a Shopify webhook of topic. It returns
// ErrTopic for a topic tern does not act on, and ok false for one it
// acts on whose content asks for nothing (a completed checkout's
// update, a transaction that did not fail). The event has no ID and no
// Tenant yet: the caller sets them.
func ParseShopify(topic string, body []byte) (e Event, ok bool, err error) {
	typ, known := shopifyTopics[topic]
	if !known {
		return e, false, ErrTopic
	}
	e = Event{Type: typ, Source: "shopify"}
	switch typ {
	case FulfillmentCreated, FulfillmentUpdated:
		var f shopifyFulfillment
		if err := decode(body, &f); err != nil {
			return e, false, err
		}
		return tidy(shopifyFulfillmentEvent(e, f)), true, nil
	case RefundCreated:
		var r shopifyRefund
		if err := decode(body, &r); err != nil {
			return e, false, err
		}
		return tidy(shopifyRefundEvent(e, r)), true, nil
	case CustomerUpdated:
		var c shopifyCustomer
		if err := decode(body, &c); err != nil {
			return e, false, err
		}
		e.Customer = shopifyCustomerOf(&c, nil)
		e.OccurredAt = firstTime(c.UpdatedAt, c.CreatedAt)
		return tidy(e), e.Customer.Phone != "", nil
	case PaymentFailed:
		var t shopifyTransaction
		if err := decode(body, &t); err != nil {
			return e, false, err
		}
		e.OrderID, e.Amount, e.Currency, e.OccurredAt = string(t.OrderID), t.Amount.v, t.Currency, t.CreatedAt.t()
		return tidy(e), t.Status == "failure" || t.Status == "error", nil
	}
	var o shopifyOrder
	if err := decode(body, &o); err != nil {
		return e, false, err
	}
	if (typ == CheckoutStarted || typ == CheckoutUpdated) && !o.CompletedAt.t().IsZero() {
		return e, false, nil // the order it became speaks for it
	}
	return tidy(shopifyOrderEvent(e, o)), true, nil
}

func shopifyOrderEvent(e Event, o shopifyOrder) Event {
	addr := o.ShippingAddress
	if addr == nil {
		addr = o.BillingAddress
	}
	e.Customer = shopifyCustomerOf(o.Customer, addr)
	e.Customer.Email = firstNonEmpty(o.Email, e.Customer.Email)
	region := ""
	if addr != nil {
		region = addr.CountryCode
	}
	e.Customer.Phone = firstPhone([2]string{o.SMSMarketingPhone, region}, [2]string{e.Customer.Phone, region},
		[2]string{o.Phone, region}, phoneOf(o.ShippingAddress), phoneOf(o.BillingAddress))
	if o.AcceptsSMS && o.SMSMarketingPhone != "" && e.Customer.SMSMarketing == ConsentUnknown {
		e.Customer.SMSMarketing, e.Customer.ConsentSource = ConsentSubscribed, "shopify checkout"
		e.Customer.ConsentAt = firstTime(o.UpdatedAt, o.CreatedAt)
	}
	e.Amount, e.Currency = o.TotalPrice.v, o.Currency
	e.Items = shopifyItems(o.LineItems)
	switch e.Type {
	case CheckoutStarted, CheckoutUpdated:
		e.CheckoutID, e.CheckoutURL = string(o.ID), o.AbandonedURL
		e.OccurredAt = firstTime(o.UpdatedAt, o.CreatedAt)
		if e.Type == CheckoutStarted {
			e.OccurredAt = firstTime(o.CreatedAt, o.UpdatedAt)
		}
		return e
	}
	e.OrderID, e.OrderName, e.CheckoutID, e.OrderURL = string(o.ID), o.Name, string(o.CheckoutID), o.OrderStatusURL
	switch e.Type {
	case OrderCreated:
		e.OccurredAt = firstTime(o.CreatedAt, o.ProcessedAt, o.UpdatedAt)
	case OrderCancelled:
		e.OccurredAt = firstTime(o.CancelledAt, o.UpdatedAt)
	default:
		e.OccurredAt = firstTime(o.UpdatedAt, o.CreatedAt)
	}
	if e.Type == OrderFulfilled && len(o.Fulfillments) > 0 {
		f := o.Fulfillments[len(o.Fulfillments)-1]
		e.FulfillmentID = string(f.ID)
		e.TrackingURL, e.TrackingNumber, e.Carrier = trackingOf(f)
	}
	return e
}

func shopifyFulfillmentEvent(e Event, f shopifyFulfillment) Event {
	e.FulfillmentID, e.OrderID = string(f.ID), string(f.OrderID)
	if i := strings.LastIndexByte(f.Name, '.'); i > 0 {
		e.OrderName = f.Name[:i] // "#1001.1" is the first fulfillment of "#1001"
	}
	e.Customer.Email = f.Email
	if d := f.Destination; d != nil {
		e.Customer.FirstName, e.Customer.LastName = d.FirstName, d.LastName
		e.Customer.Phone = firstPhone(phoneOf(d))
	}
	e.TrackingURL, e.TrackingNumber, e.Carrier = trackingOf(f)
	if f.ShipmentStatus != nil {
		e.ShipmentStatus = strings.ToLower(*f.ShipmentStatus)
	}
	e.Items = shopifyItems(f.LineItems)
	e.OccurredAt = firstTime(f.UpdatedAt, f.CreatedAt)
	if e.Type == FulfillmentCreated {
		e.OccurredAt = firstTime(f.CreatedAt, f.UpdatedAt)
	}
	return e
}

func shopifyRefundEvent(e Event, r shopifyRefund) Event {
	e.OrderID, e.OccurredAt = string(r.OrderID), r.CreatedAt.t()
	for _, t := range r.Transactions {
		if t.Kind == "refund" && (t.Status == "success" || t.Status == "") {
			e.Amount += t.Amount.v
			e.Currency = firstNonEmpty(e.Currency, t.Currency)
		}
	}
	return e
}

func trackingOf(f shopifyFulfillment) (url, number, carrier string) {
	url = f.TrackingURL
	if url == "" && len(f.TrackingURLs) > 0 {
		url = f.TrackingURLs[0]
	}
	if checkURL(url) != "" {
		url = ""
	}
	return url, f.TrackingNumber, f.TrackingCompany
}

// shopifyCustomerOf reads c, falling back on addr for name and phone.
func shopifyCustomerOf(c *shopifyCustomer, addr *shopifyAddress) Customer {
	var out Customer
	if c != nil {
		out = Customer{ExternalID: string(c.ID), Email: c.Email, FirstName: c.FirstName, LastName: c.LastName}
		region := ""
		if c.DefaultAddress != nil {
			region = c.DefaultAddress.CountryCode
		}
		out.Phone = firstPhone([2]string{c.Phone, region}, phoneOf(c.DefaultAddress))
		if s := c.SMSConsent; s != nil {
			switch s.State {
			case "subscribed":
				out.SMSMarketing = ConsentSubscribed
			case "unsubscribed":
				out.SMSMarketing = ConsentUnsubscribed
			}
			out.ConsentAt = s.UpdatedAt.t()
			if out.SMSMarketing != ConsentUnknown {
				out.ConsentSource = strings.ToLower("shopify " + firstNonEmpty(s.CollectedAt, "admin"))
			}
		}
	}
	if addr != nil {
		out.FirstName = firstNonEmpty(out.FirstName, addr.FirstName)
		out.LastName = firstNonEmpty(out.LastName, addr.LastName)
		if out.Phone == "" {
			out.Phone = firstPhone(phoneOf(addr))
		}
	}
	return out
}

func phoneOf(a *shopifyAddress) [2]string {
	if a == nil {
		return [2]string{}
	}
	return [2]string{a.Phone, a.CountryCode}
}

func shopifyItems(lines []shopifyLine) []Item {
	if len(lines) > MaxItems {
		lines = lines[:MaxItems]
	}
	out := make([]Item, 0, len(lines))
	for _, l := range lines {
		out = append(out, Item{ProductID: string(l.ProductID), VariantID: string(l.VariantID), SKU: l.SKU, Title: l.Title,
			Quantity: max(l.Quantity, 0), Price: l.Price.v})
	}
	return out
}
