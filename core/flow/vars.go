package flow

import (
	"strconv"
	"strings"

	"github.com/ternsms/tern/core/commerce"
)

// Variables are the template variables every flow offers; an event's
// attributes are offered besides as "attributes.NAME".
var Variables = []string{
	"shop_name", "first_name", "last_name", "order_name", "order_id", "amount", "currency",
	"checkout_url", "order_url", "tracking_url", "tracking_number", "carrier", "shipment_status",
	"product_title", "product_url", "item_count", "review_url", "payment_url",
}

// AttributePrefix starts the variables that hold an event's attributes.
const AttributePrefix = "attributes."

// Vars are the template variables of a run started by e: the event's
// own data, shop as shop_name. review_url and payment_url come from the
// attributes of those names, else the order's page (payment_url: the
// checkout's too).
func Vars(e commerce.Event, shop string) map[string]string {
	c := e.Customer
	v := map[string]string{
		"shop_name": shop, "first_name": c.FirstName, "last_name": c.LastName,
		"order_name": firstOf(e.OrderName, e.OrderID), "order_id": e.OrderID,
		"checkout_url": e.CheckoutURL, "order_url": e.OrderURL, "tracking_url": e.TrackingURL,
		"tracking_number": e.TrackingNumber, "carrier": e.Carrier, "shipment_status": e.ShipmentStatus,
		"currency": e.Currency,
	}
	if e.Amount > 0 {
		v["amount"] = amountText(e.Amount.String())
	}
	if len(e.Items) > 0 {
		v["product_title"], v["product_url"] = e.Items[0].Title, e.Items[0].URL
		n := 0
		for _, it := range e.Items {
			n += max(it.Quantity, 1)
		}
		v["item_count"] = strconv.Itoa(n)
	}
	for k, a := range e.Attributes {
		v[AttributePrefix+k] = a
	}
	v["review_url"] = firstOf(e.Attributes["review_url"], e.OrderURL)
	v["payment_url"] = firstOf(e.Attributes["payment_url"], firstOf(e.OrderURL, e.CheckoutURL))
	return v
}

// amountText writes a price.Amount's text with two decimals: "49.90".
func amountText(s string) string {
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	if strings.TrimRight(frac[2:], "0") == "" {
		frac = frac[:2]
	}
	return whole + "." + frac
}
