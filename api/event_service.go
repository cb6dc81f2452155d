package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/price"
	"github.com/ternsms/tern/pipeline/storeevents"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// EventDeps are what the event service and the store webhooks call.
type EventDeps struct {
	Events StoreEvents
	Log    *slog.Logger
}

// eventService serves tern.v1.EventService for the caller's tenant.
type eventService struct {
	d EventDeps
}

var _ ternv1connect.EventServiceHandler = (*eventService)(nil)

// NewEventService returns the EventService handler over d.
func NewEventService(d EventDeps) ternv1connect.EventServiceHandler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &eventService{d: d}
}

func (s *eventService) Track(ctx context.Context, req *connect.Request[ternv1.TrackRequest]) (*connect.Response[ternv1.TrackResponse], error) {
	if req.Msg.GetEvent() == nil {
		return nil, featureError(s.d.Log, &commerce.FieldError{Field: "event", Reason: "required"})
	}
	out, err := s.track(ctx, []*ternv1.StoreEvent{req.Msg.GetEvent()})
	if err != nil {
		return nil, featureError(s.d.Log, err)
	}
	if out[0].Err != nil {
		return nil, featureError(s.d.Log, out[0].Err)
	}
	return connect.NewResponse(&ternv1.TrackResponse{EventId: out[0].ID, Duplicate: out[0].Duplicate}), nil
}

func (s *eventService) TrackBatch(ctx context.Context, req *connect.Request[ternv1.TrackBatchRequest]) (*connect.Response[ternv1.TrackBatchResponse], error) {
	items := req.Msg.GetEvents()
	if len(items) == 0 {
		return nil, featureError(s.d.Log, &commerce.FieldError{Field: "events", Reason: "required"})
	}
	out, err := s.track(ctx, items)
	if err != nil {
		return nil, featureError(s.d.Log, err)
	}
	resp := &ternv1.TrackBatchResponse{Results: make([]*ternv1.TrackBatchResult, len(out))}
	for i, r := range out {
		if r.Err == nil {
			resp.Results[i] = &ternv1.TrackBatchResult{Result: &ternv1.TrackBatchResult_Tracked{Tracked: &ternv1.TrackResponse{EventId: r.ID, Duplicate: r.Duplicate}}}
			continue
		}
		ce := featureError(s.d.Log, r.Err)
		se := &ternv1.SendError{Code: ce.Code().String(), Message: ce.Message()}
		var fe *commerce.FieldError
		if errors.As(r.Err, &fe) {
			se.Field = fe.Field
		}
		resp.Results[i] = &ternv1.TrackBatchResult{Result: &ternv1.TrackBatchResult_Error{Error: se}}
	}
	return connect.NewResponse(resp), nil
}

// track converts items and takes them in; an item that does not convert
// gets its error in its result.
func (s *eventService) track(ctx context.Context, items []*ternv1.StoreEvent) ([]storeevents.Result, error) {
	tenant := callTenant(ctx)
	if tenant == "" {
		return nil, errPermission
	}
	if len(items) > storeevents.MaxBatch {
		return nil, &commerce.FieldError{Field: "events", Reason: fmt.Sprintf("more than %d in one batch", storeevents.MaxBatch)}
	}
	out := make([]storeevents.Result, len(items))
	var evs []commerce.Event
	var pos []int
	for i, m := range items {
		e, err := storeEventOf(tenant, m)
		if err != nil {
			out[i] = storeevents.Result{Err: err}
			continue
		}
		evs, pos = append(evs, e), append(pos, i)
	}
	res := make([]storeevents.Result, len(evs))
	if err := s.d.Events.Track(ctx, evs, res); err != nil {
		return nil, err
	}
	for k, r := range res {
		out[pos[k]] = r
	}
	return out, nil
}

// storeEventOf reads an API store event.
func storeEventOf(tenant string, m *ternv1.StoreEvent) (commerce.Event, error) {
	c := m.GetCustomer()
	e := commerce.Event{Tenant: tenant, Type: commerce.Type(m.GetType()), Source: "api",
		Customer: commerce.Customer{Phone: c.GetPhone(), ContactID: c.GetContactId(), ExternalID: c.GetExternalId(), Email: c.GetEmail(),
			FirstName: c.GetFirstName(), LastName: c.GetLastName(), SMSMarketing: commerce.Consent(c.GetSmsMarketing()),
			ConsentAt: timeOf(c.GetConsentAt()), ConsentSource: c.GetConsentSource()},
		OrderID: m.GetOrderId(), OrderName: m.GetOrderName(), CheckoutID: m.GetCheckoutId(), FulfillmentID: m.GetFulfillmentId(),
		Currency: m.GetCurrency(), CheckoutURL: m.GetCheckoutUrl(), OrderURL: m.GetOrderUrl(), TrackingURL: m.GetTrackingUrl(),
		TrackingNumber: m.GetTrackingNumber(), Carrier: m.GetCarrier(), ShipmentStatus: m.GetShipmentStatus(),
		Attributes: m.GetAttributes(), OccurredAt: timeOf(m.GetOccurredAt())}
	if k := m.GetIdempotencyKey(); k != "" {
		e.ID = "api:" + k
	}
	if !e.Type.Valid() && m.GetType() != ternv1.StoreEventType_STORE_EVENT_TYPE_UNSPECIFIED {
		return e, &commerce.FieldError{Field: "type", Reason: "unknown store event type"}
	}
	if c.GetSmsMarketing() > ternv1.SmsConsent_SMS_CONSENT_UNSUBSCRIBED {
		return e, &commerce.FieldError{Field: "customer.sms_marketing", Reason: "unknown value"}
	}
	var err error
	if a := m.GetAmount(); a != "" {
		if e.Amount, err = price.ParseAmount(a); err != nil {
			return e, &commerce.FieldError{Field: "amount", Reason: `a non-negative decimal such as "49.90"`}
		}
	}
	for i, it := range m.GetItems() {
		item := commerce.Item{ProductID: it.GetProductId(), VariantID: it.GetVariantId(), SKU: it.GetSku(), Title: it.GetTitle(),
			Quantity: int(it.GetQuantity()), URL: it.GetUrl()}
		if p := it.GetPrice(); p != "" {
			if item.Price, err = price.ParseAmount(p); err != nil {
				return e, &commerce.FieldError{Field: fmt.Sprintf("items[%d].price", i), Reason: `a non-negative decimal such as "19.90"`}
			}
		}
		e.Items = append(e.Items, item)
	}
	return e, nil
}

func (s *eventService) SetStoreSecret(ctx context.Context, req *connect.Request[ternv1.SetStoreSecretRequest]) (*connect.Response[ternv1.SetStoreSecretResponse], error) {
	m := req.Msg
	tenant, err := targetTenant(ctx, m.GetTenantId())
	if err != nil {
		return nil, featureError(s.d.Log, err)
	}
	platform := map[ternv1.StorePlatform]string{ternv1.StorePlatform_STORE_PLATFORM_SHOPIFY: storeevents.Shopify,
		ternv1.StorePlatform_STORE_PLATFORM_WOOCOMMERCE: storeevents.WooCommerce}[m.GetPlatform()]
	if err := s.d.Events.SetSecret(ctx, tenant, platform, m.GetSecret(), m.GetKeepPrevious()); err != nil {
		return nil, featureError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.SetStoreSecretResponse{WebhookPath: "/webhooks/" + platform + "/" + tenant}), nil
}
