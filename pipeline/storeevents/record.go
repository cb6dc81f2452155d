package storeevents

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/price"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// Key is the Kafka key of e: its tenant and customer, so that a
// customer's events share a partition and keep their order.
func Key(e commerce.Event) []byte { return []byte(e.Tenant + "/" + e.CustomerKey()) }

// Encode is e as the store events topic carries it.
func Encode(e commerce.Event, received time.Time) ([]byte, error) {
	c := e.Customer
	rec := &recordv1.StoreEvent{
		Id: e.ID, TenantId: e.Tenant, Type: ternv1.StoreEventType(e.Type), Source: e.Source,
		Customer: &recordv1.StoreCustomer{Phone: c.Phone, ContactId: c.ContactID, ExternalId: c.ExternalID, Email: c.Email,
			FirstName: c.FirstName, LastName: c.LastName, SmsMarketing: ternv1.SmsConsent(c.SMSMarketing),
			ConsentAt: ts(c.ConsentAt), ConsentSource: c.ConsentSource},
		OrderId: e.OrderID, OrderName: e.OrderName, CheckoutId: e.CheckoutID, FulfillmentId: e.FulfillmentID,
		AmountMicros: int64(e.Amount), Currency: e.Currency, CheckoutUrl: e.CheckoutURL, OrderUrl: e.OrderURL,
		TrackingUrl: e.TrackingURL, TrackingNumber: e.TrackingNumber, Carrier: e.Carrier, ShipmentStatus: e.ShipmentStatus,
		Attributes: e.Attributes, OccurredAt: ts(e.OccurredAt), ReceivedAt: ts(received),
	}
	for _, it := range e.Items {
		rec.Items = append(rec.Items, &recordv1.StoreItem{ProductId: it.ProductID, VariantId: it.VariantID, Sku: it.SKU,
			Title: it.Title, Quantity: int32(min(it.Quantity, 1<<30)), PriceMicros: int64(it.Price), Url: it.URL})
	}
	b, err := proto.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode store event: %w", err)
	}
	return b, nil
}

// Decode reads a store events record.
func Decode(b []byte) (commerce.Event, time.Time, error) {
	var rec recordv1.StoreEvent
	if err := proto.Unmarshal(b, &rec); err != nil {
		return commerce.Event{}, time.Time{}, fmt.Errorf("decode store event: %w", err)
	}
	c := rec.GetCustomer()
	e := commerce.Event{
		ID: rec.Id, Tenant: rec.TenantId, Type: commerce.Type(rec.Type), Source: rec.Source,
		Customer: commerce.Customer{Phone: c.GetPhone(), ContactID: c.GetContactId(), ExternalID: c.GetExternalId(), Email: c.GetEmail(),
			FirstName: c.GetFirstName(), LastName: c.GetLastName(), SMSMarketing: commerce.Consent(c.GetSmsMarketing()),
			ConsentAt: asTime(c.GetConsentAt()), ConsentSource: c.GetConsentSource()},
		OrderID: rec.OrderId, OrderName: rec.OrderName, CheckoutID: rec.CheckoutId, FulfillmentID: rec.FulfillmentId,
		Amount: price.Amount(rec.AmountMicros), Currency: rec.Currency, CheckoutURL: rec.CheckoutUrl, OrderURL: rec.OrderUrl,
		TrackingURL: rec.TrackingUrl, TrackingNumber: rec.TrackingNumber, Carrier: rec.Carrier, ShipmentStatus: rec.ShipmentStatus,
		Attributes: rec.Attributes, OccurredAt: asTime(rec.OccurredAt),
	}
	for _, it := range rec.Items {
		e.Items = append(e.Items, commerce.Item{ProductID: it.ProductId, VariantID: it.VariantId, SKU: it.Sku, Title: it.Title,
			Quantity: int(it.Quantity), Price: price.Amount(it.PriceMicros), URL: it.Url})
	}
	return e, asTime(rec.ReceivedAt), nil
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func asTime(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}
