package commerce

import (
	"encoding/json"
	"strings"
)

type wooAddress struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	Country   string `json:"country"`
}

type wooMeta struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

type wooLine struct {
	ProductID   flexID     `json:"product_id"`
	VariationID flexID     `json:"variation_id"`
	Name        string     `json:"name"`
	SKU         string     `json:"sku"`
	Quantity    int        `json:"quantity"`
	Price       flexAmount `json:"price"`
}

type wooOrder struct {
	ID               flexID      `json:"id"`
	Number           string      `json:"number"`
	Status           string      `json:"status"`
	Currency         string      `json:"currency"`
	Total            flexAmount  `json:"total"`
	CustomerID       flexID      `json:"customer_id"`
	Billing          *wooAddress `json:"billing"`
	Shipping         *wooAddress `json:"shipping"`
	PaymentURL       string      `json:"payment_url"`
	LineItems        []wooLine   `json:"line_items"`
	MetaData         []wooMeta   `json:"meta_data"`
	DateCreatedGMT   flexTime    `json:"date_created_gmt"`
	DateModifiedGMT  flexTime    `json:"date_modified_gmt"`
	DatePaidGMT      flexTime    `json:"date_paid_gmt"`
	DateCompletedGMT flexTime    `json:"date_completed_gmt"`
}

type wooCustomer struct {
	ID              flexID      `json:"id"`
	Email           string      `json:"email"`
	FirstName       string      `json:"first_name"`
	LastName        string      `json:"last_name"`
	Billing         *wooAddress `json:"billing"`
	MetaData        []wooMeta   `json:"meta_data"`
	DateModifiedGMT flexTime    `json:"date_modified_gmt"`
	DateCreatedGMT  flexTime    `json:"date_created_gmt"`
}

// wooTracking is one item of the Shipment Tracking extension's
// "_wc_shipment_tracking_items" order meta.
type wooTracking struct {
	Provider       string `json:"tracking_provider"`
	CustomProvider string `json:"custom_tracking_provider"`
	Link           string `json:"custom_tracking_link"`
	Number         string `json:"tracking_number"`
}

// WooSMSConsentMeta is the customer or order meta key whose value
// "subscribed" or "unsubscribed" carries SMS marketing consent from a
// WooCommerce store (WooCommerce itself has no such field).
const WooSMSConsentMeta = "_tern_sms_consent"

// ParseWooCommerce reads the body of a WooCommerce webhook of topic
// (X-WC-Webhook-Topic, e.g. "order.updated"). An order maps by its
// status: a new order to OrderCreated; "processing" to OrderPaid;
// "completed" to FulfillmentCreated (with the Shipment Tracking
// extension's tracking, if any); "cancelled", "refunded" and "failed"
// to OrderCancelled, RefundCreated and PaymentFailed. Like ParseShopify
// it returns ErrTopic for other topics and ok false when there is
// nothing to act on.
func ParseWooCommerce(topic string, body []byte) (e Event, ok bool, err error) {
	e = Event{Source: "woocommerce"}
	switch topic {
	case "customer.created", "customer.updated":
		var c wooCustomer
		if err := decode(body, &c); err != nil {
			return e, false, err
		}
		e.Type = CustomerUpdated
		e.Customer = wooCustomerOf(c.Billing, c.MetaData)
		e.Customer.ExternalID = string(c.ID)
		e.Customer.Email = firstNonEmpty(c.Email, e.Customer.Email)
		e.Customer.FirstName = firstNonEmpty(c.FirstName, e.Customer.FirstName)
		e.Customer.LastName = firstNonEmpty(c.LastName, e.Customer.LastName)
		e.OccurredAt = firstTime(c.DateModifiedGMT, c.DateCreatedGMT)
		return tidy(e), e.Customer.Phone != "", nil
	case "order.created", "order.updated":
	default:
		return e, false, ErrTopic
	}
	var o wooOrder
	if err := decode(body, &o); err != nil {
		return e, false, err
	}
	e.Type = wooOrderType(topic, o.Status)
	if e.Type == TypeUnspecified {
		return e, false, nil
	}
	addr := o.Billing
	if addr == nil || addr.Phone == "" {
		addr = firstAddr(o.Shipping, o.Billing)
	}
	e.Customer = wooCustomerOf(addr, o.MetaData)
	if o.Billing != nil {
		e.Customer.Email = firstNonEmpty(o.Billing.Email, e.Customer.Email)
	}
	if id := string(o.CustomerID); id != "" && id != "0" {
		e.Customer.ExternalID = id
	}
	e.OrderID, e.OrderName = string(o.ID), "#"+firstNonEmpty(o.Number, string(o.ID))
	e.Amount, e.Currency = o.Total.v, o.Currency
	for _, l := range o.LineItems {
		variant := string(l.VariationID)
		if variant == "0" {
			variant = ""
		}
		e.Items = append(e.Items, Item{ProductID: string(l.ProductID), VariantID: variant, SKU: l.SKU, Title: l.Name,
			Quantity: max(l.Quantity, 0), Price: l.Price.v})
	}
	if len(e.Items) > MaxItems {
		e.Items = e.Items[:MaxItems]
	}
	if o.PaymentURL != "" && checkURL(o.PaymentURL) == "" {
		e.Attributes = map[string]string{"payment_url": o.PaymentURL}
	}
	e.OccurredAt = firstTime(o.DateModifiedGMT, o.DateCreatedGMT)
	switch e.Type {
	case OrderCreated:
		e.OccurredAt = firstTime(o.DateCreatedGMT, o.DateModifiedGMT)
	case OrderPaid:
		e.OccurredAt = firstTime(o.DatePaidGMT, o.DateModifiedGMT)
	case FulfillmentCreated:
		e.FulfillmentID = e.OrderID
		e.TrackingURL, e.TrackingNumber, e.Carrier = wooTrackingOf(o.MetaData)
		e.OccurredAt = firstTime(o.DateCompletedGMT, o.DateModifiedGMT)
	}
	return tidy(e), true, nil
}

// wooOrderType maps an order webhook to the event it means.
func wooOrderType(topic, status string) Type {
	switch status {
	case "failed":
		return PaymentFailed
	case "cancelled":
		return OrderCancelled
	case "refunded":
		return RefundCreated
	}
	if topic == "order.created" {
		return OrderCreated
	}
	switch status {
	case "processing":
		return OrderPaid
	case "completed":
		return FulfillmentCreated
	}
	return TypeUnspecified
}

func firstAddr(as ...*wooAddress) *wooAddress {
	for _, a := range as {
		if a != nil && a.Phone != "" {
			return a
		}
	}
	for _, a := range as {
		if a != nil {
			return a
		}
	}
	return nil
}

func wooCustomerOf(a *wooAddress, meta []wooMeta) Customer {
	var c Customer
	if a != nil {
		c = Customer{FirstName: a.FirstName, LastName: a.LastName, Email: a.Email, Phone: firstPhone([2]string{a.Phone, a.Country})}
	}
	for _, m := range meta {
		if m.Key != WooSMSConsentMeta {
			continue
		}
		var v string
		if json.Unmarshal(m.Value, &v) != nil {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "subscribed", "yes":
			c.SMSMarketing, c.ConsentSource = ConsentSubscribed, "woocommerce"
		case "unsubscribed", "no":
			c.SMSMarketing, c.ConsentSource = ConsentUnsubscribed, "woocommerce"
		}
	}
	return c
}

func wooTrackingOf(meta []wooMeta) (url, number, carrier string) {
	for _, m := range meta {
		if m.Key != "_wc_shipment_tracking_items" {
			continue
		}
		var items []wooTracking
		if json.Unmarshal(m.Value, &items) != nil || len(items) == 0 {
			continue
		}
		t := items[len(items)-1]
		url = t.Link
		if checkURL(url) != "" {
			url = ""
		}
		return url, t.Number, firstNonEmpty(t.CustomProvider, t.Provider)
	}
	return "", "", ""
}
