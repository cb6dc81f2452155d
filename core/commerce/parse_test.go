package commerce

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ternsms/tern/core/price"
)

func readData(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func amount(s string) price.Amount {
	a, err := price.ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return a
}

// TestParseShopify reads the Shopify-shaped payloads in testdata/shopify.
func TestParseShopify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		topic, file string
		want        func(t *testing.T, e Event)
	}{
		{"checkouts/create", "checkouts_create.json", func(t *testing.T, e Event) {
			want(t, e.Type == CheckoutStarted && e.CheckoutID == "981820079255243537", "checkout id %q", e.CheckoutID)
			want(t, e.Customer.Phone == "+14155552671" && e.Customer.FirstName == "Jane", "customer %+v", e.Customer)
			want(t, e.Customer.SMSMarketing == ConsentSubscribed, "sms consent %v", e.Customer.SMSMarketing)
			want(t, e.Amount == amount("179.98") && e.Currency == "USD", "amount %v %s", e.Amount, e.Currency)
			want(t, len(e.Items) == 1 && e.Items[0].VariantID == "642667041472713922" && e.Items[0].Quantity == 2, "items %+v", e.Items)
			want(t, e.CheckoutURL != "" && e.OccurredAt.Equal(time.Date(2026, 3, 2, 15, 15, 0, 0, time.UTC)), "url %q at %v", e.CheckoutURL, e.OccurredAt)
		}},
		{"checkouts/update", "checkouts_update.json", func(t *testing.T, e Event) {
			want(t, e.Type == CheckoutUpdated && len(e.Items) == 2 && e.Amount == amount("194.98"), "%+v", e)
		}},
		{"orders/create", "orders_create.json", func(t *testing.T, e Event) {
			want(t, e.Type == OrderCreated && e.OrderID == "820982911946154508" && e.OrderName == "#1001", "order %q %q", e.OrderID, e.OrderName)
			want(t, e.CheckoutID == "981820079255243537", "checkout id %q", e.CheckoutID)
			want(t, e.OrderURL != "" && e.Customer.Phone == "+14155552671", "url %q phone %q", e.OrderURL, e.Customer.Phone)
		}},
		{"orders/paid", "orders_paid.json", func(t *testing.T, e Event) { want(t, e.Type == OrderPaid, "%v", e.Type) }},
		{"orders/cancelled", "orders_cancelled.json", func(t *testing.T, e Event) {
			want(t, e.Type == OrderCancelled && e.OccurredAt.Equal(time.Date(2026, 3, 3, 13, 0, 0, 0, time.UTC)), "%v %v", e.Type, e.OccurredAt)
		}},
		{"orders/fulfilled", "orders_fulfilled.json", func(t *testing.T, e Event) {
			want(t, e.Type == OrderFulfilled && e.TrackingNumber == "1Z2345" && e.FulfillmentID == "255858046", "%+v", e)
		}},
		{"fulfillments/create", "fulfillments_create.json", func(t *testing.T, e Event) {
			want(t, e.Type == FulfillmentCreated && e.OrderID == "820982911946154508" && e.OrderName == "#1001", "%+v", e)
			want(t, e.TrackingURL == "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z2345" && e.Carrier == "UPS", "tracking %q %q", e.TrackingURL, e.Carrier)
			want(t, e.Customer.Phone == "+14155552671" && e.ShipmentStatus == "", "phone %q status %q", e.Customer.Phone, e.ShipmentStatus)
		}},
		{"fulfillments/update", "fulfillments_update_out_for_delivery.json", func(t *testing.T, e Event) {
			want(t, e.Type == FulfillmentUpdated && e.ShipmentStatus == "out_for_delivery", "%v %q", e.Type, e.ShipmentStatus)
		}},
		{"fulfillments/update", "fulfillments_update_delivered.json", func(t *testing.T, e Event) {
			want(t, e.ShipmentStatus == "delivered", "%q", e.ShipmentStatus)
		}},
		{"refunds/create", "refunds_create.json", func(t *testing.T, e Event) {
			want(t, e.Type == RefundCreated && e.OrderID == "820982911946154508" && e.Amount == amount("89.99") && e.Currency == "USD", "%+v", e)
		}},
		{"customers/create", "customers_create.json", func(t *testing.T, e Event) {
			want(t, e.Type == CustomerUpdated && e.Customer.Phone == "+14155552672" && e.Customer.SMSMarketing == ConsentSubscribed, "%+v", e.Customer)
			want(t, e.Customer.ConsentSource == "shopify other" && !e.Customer.ConsentAt.IsZero(), "%+v", e.Customer)
		}},
		{"customers/update", "customers_update.json", func(t *testing.T, e Event) {
			want(t, e.Customer.SMSMarketing == ConsentUnsubscribed, "%v", e.Customer.SMSMarketing)
		}},
		{"order_transactions/create", "order_transactions_create_failure.json", func(t *testing.T, e Event) {
			want(t, e.Type == PaymentFailed && e.OrderID == "820982911946154508" && e.Amount == amount("179.98"), "%+v", e)
		}},
	}
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			e, ok, err := ParseShopify(tt.topic, readData(t, "shopify/"+tt.file))
			if err != nil || !ok {
				t.Fatalf("ParseShopify(%s) = ok %v, %v", tt.topic, ok, err)
			}
			tt.want(t, e)
			if _, err := e.Check(now); err != nil {
				t.Fatalf("parsed event does not check: %v", err)
			}
		})
	}
}

func want(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
}

// TestParseWooCommerce reads the WooCommerce-shaped payloads in
// testdata/woocommerce.
func TestParseWooCommerce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		topic, file string
		want        func(t *testing.T, e Event)
	}{
		{"order.created", "order_created.json", func(t *testing.T, e Event) {
			want(t, e.Type == OrderCreated && e.OrderID == "727" && e.OrderName == "#727" && e.Amount == amount("29.35"), "%+v", e)
			want(t, e.Customer.Phone == "+14155552673" && e.Customer.ExternalID == "12" && e.Customer.SMSMarketing == ConsentSubscribed, "%+v", e.Customer)
			want(t, len(e.Items) == 2 && e.Items[0].VariantID == "" && e.Items[1].VariantID == "23" && e.Items[0].Price == amount("3"), "%+v", e.Items)
			want(t, e.Attributes["payment_url"] != "" && e.OccurredAt.Equal(time.Date(2026, 3, 2, 19, 28, 2, 0, time.UTC)), "%v %v", e.Attributes, e.OccurredAt)
		}},
		{"order.updated", "order_updated_processing.json", func(t *testing.T, e Event) { want(t, e.Type == OrderPaid, "%v", e.Type) }},
		{"order.updated", "order_updated_completed.json", func(t *testing.T, e Event) {
			want(t, e.Type == FulfillmentCreated && e.TrackingNumber == "1234567890" && e.Carrier == "DHL Express" && e.FulfillmentID == "727", "%+v", e)
			want(t, e.TrackingURL == "https://www.dhl.com/en/express/tracking.html?AWB=1234567890", "%q", e.TrackingURL)
		}},
		{"order.updated", "order_updated_failed.json", func(t *testing.T, e Event) { want(t, e.Type == PaymentFailed, "%v", e.Type) }},
		{"customer.created", "customer_created.json", func(t *testing.T, e Event) {
			want(t, e.Type == CustomerUpdated && e.Customer.Phone == "+14155552673" && e.Customer.SMSMarketing == ConsentSubscribed, "%+v", e.Customer)
		}},
	}
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			e, ok, err := ParseWooCommerce(tt.topic, readData(t, "woocommerce/"+tt.file))
			if err != nil || !ok {
				t.Fatalf("ParseWooCommerce(%s) = ok %v, %v", tt.topic, ok, err)
			}
			tt.want(t, e)
			if _, err := e.Check(now); err != nil {
				t.Fatalf("parsed event does not check: %v", err)
			}
		})
	}
}

func TestParseRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, topic, body string
		woo               bool
		want              error
		field             string
		ok                bool
	}{
		{name: "unknown topic", topic: "products/create", body: `{}`, want: ErrTopic},
		{name: "woo unknown topic", topic: "product.updated", body: `{}`, woo: true, want: ErrTopic},
		{name: "truncated JSON", topic: "orders/create", body: `{"id": 1, "name": "#1`, want: ErrInvalid, field: "body"},
		{name: "not JSON", topic: "orders/create", body: `webhook_id=12`, want: ErrInvalid, field: "body"},
		{name: "id of the wrong type", topic: "orders/create", body: `{"id": {"x": 1}}`, want: ErrInvalid, field: "body"},
		{name: "bad amount", topic: "orders/create", body: `{"id": 1, "total_price": "ten"}`, want: ErrInvalid, field: "body"},
		{name: "bad time", topic: "orders/create", body: `{"id": 1, "created_at": "yesterday"}`, want: ErrInvalid, field: "body"},
		{name: "items not a list", topic: "orders/create", body: `{"id": 1, "line_items": 3}`, want: ErrInvalid, field: "line_items"},
		{name: "completed checkout", topic: "checkouts/update", body: `{"id": 1, "completed_at": "2026-03-02T10:40:05-05:00"}`},
		{name: "successful transaction", topic: "order_transactions/create", body: `{"order_id": 1, "status": "success"}`},
		{name: "customer without phone", topic: "customers/update", body: `{"id": 1}`},
		{name: "woo pending update", topic: "order.updated", body: `{"id": 1, "status": "on-hold"}`, woo: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ok bool
			var err error
			if tt.woo {
				_, ok, err = ParseWooCommerce(tt.topic, []byte(tt.body))
			} else {
				_, ok, err = ParseShopify(tt.topic, []byte(tt.body))
			}
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) || ok != tt.ok {
				t.Fatalf("= ok %v, %v; want ok %v, %v", ok, err, tt.ok, tt.want)
			}
			var fe *FieldError
			if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
				t.Fatalf("error %v does not name field %q", err, tt.field)
			}
		})
	}
}

func TestVerifyHMAC(t *testing.T) {
	t.Parallel()
	body := readData(t, "shopify/orders_create.json")
	good := SignatureHeader(body, "shpss_secret")
	tests := []struct {
		name, header string
		body         []byte
		secrets      []string
		ok           bool
	}{
		{"good", good, body, []string{"shpss_secret"}, true},
		{"second of two secrets", good, body, []string{"new", "shpss_secret"}, true},
		{"wrong secret", good, body, []string{"other"}, false},
		{"body changed", good, append([]byte(" "), body...), []string{"shpss_secret"}, false},
		{"missing header", "", body, []string{"shpss_secret"}, false},
		{"not base64", "%%%", body, []string{"shpss_secret"}, false},
		{"short", "AAAA", body, []string{"shpss_secret"}, false},
		{"no secret", good, body, []string{""}, false},
	}
	for _, tt := range tests {
		err := VerifyHMAC(tt.body, tt.header, tt.secrets...)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrSignature)) {
			t.Errorf("%s: VerifyHMAC = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	base := Event{Type: OrderCreated, OrderID: "1", Customer: Customer{Phone: "14155552671"}}
	tests := []struct {
		name  string
		edit  func(e *Event)
		field string
	}{
		{"ok", func(e *Event) {}, ""},
		{"no type", func(e *Event) { e.Type = 0 }, "type"},
		{"no order id", func(e *Event) { e.OrderID = "" }, "order_id"},
		{"checkout needs its id", func(e *Event) { e.Type = CheckoutStarted }, "checkout_id"},
		{"bad phone", func(e *Event) { e.Customer.Phone = "12" }, "customer.phone"},
		{"bad currency", func(e *Event) { e.Currency = "dollars" }, "currency"},
		{"negative amount", func(e *Event) { e.Amount = -1 }, "amount"},
		{"future", func(e *Event) { e.OccurredAt = now.Add(time.Hour) }, "occurred_at"},
		{"bad url", func(e *Event) { e.TrackingURL = "javascript:alert(1)" }, "tracking_url"},
		{"control character", func(e *Event) { e.OrderName = "#1\x00" }, "order_name"},
		{"attribute name", func(e *Event) { e.Attributes = map[string]string{"a b": "x"} }, "attributes"},
		{"inventory needs a variant", func(e *Event) { e.Type = InventoryRestocked }, "items"},
		{"subscriber needs a customer", func(e *Event) {
			e.Type, e.Customer, e.Items = BackInStockSubscribed, Customer{}, []Item{{VariantID: "v"}}
		}, "customer.phone"},
	}
	for _, tt := range tests {
		e := base
		tt.edit(&e)
		got, err := e.Check(now)
		var fe *FieldError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.field == "" && (got.Customer.Phone != "+14155552671" || !got.OccurredAt.Equal(now)):
			t.Errorf("%s: not normalized: %+v", tt.name, got)
		case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
			t.Errorf("%s: Check = %v, want a FieldError naming %s", tt.name, err, tt.field)
		}
	}
}
