package api

import (
	"context"
	"log/slog"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/pipeline/webhooks"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// WebhookEndpoints manages a tenant's endpoints; webhooks.Outbox is one.
type WebhookEndpoints interface {
	CreateEndpoint(ctx context.Context, tenant, url string, events []string, desc string) (webhooks.Endpoint, string, error)
	Endpoints(ctx context.Context, tenant string) ([]webhooks.Endpoint, error)
	UpdateEndpoint(ctx context.Context, tenant, id string, u webhooks.Update) (webhooks.Endpoint, error)
	DeleteEndpoint(ctx context.Context, tenant, id string) error
	RotateSecret(ctx context.Context, tenant, id string, previousValid time.Duration) (webhooks.Endpoint, string, error)
}

// WebhookLog reads and replays an endpoint's deliveries;
// webhooks.Outbox is one.
type WebhookLog interface {
	Deliveries(ctx context.Context, tenant, endpoint string, pageSize int, token string) ([]webhooks.Delivery, string, error)
	Replay(ctx context.Context, tenant, endpoint string, eventIDs []string, since, until time.Time) (int64, error)
}

// WebhookDeps are what the webhook service calls.
type WebhookDeps struct {
	Endpoints WebhookEndpoints
	Log       WebhookLog
	Logger    *slog.Logger
}

type webhookService struct {
	d WebhookDeps
}

var _ ternv1connect.WebhookServiceHandler = (*webhookService)(nil)

// NewWebhookService returns the WebhookService handler over d.
func NewWebhookService(d WebhookDeps) ternv1connect.WebhookServiceHandler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &webhookService{d: d}
}

// defaultPreviousValid is how long a rotated-out secret signs by default.
const defaultPreviousValid = 24 * time.Hour

func (s *webhookService) CreateWebhookEndpoint(ctx context.Context, req *connect.Request[ternv1.CreateWebhookEndpointRequest]) (*connect.Response[ternv1.CreateWebhookEndpointResponse], error) {
	m := req.Msg
	tenant, err := targetTenant(ctx, m.GetTenantId())
	if err != nil {
		return nil, featureError(s.d.Logger, err)
	}
	e, secret, err := s.d.Endpoints.CreateEndpoint(ctx, tenant, m.GetUrl(), m.GetEvents(), m.GetDescription())
	if err != nil {
		return nil, featureError(s.d.Logger, err)
	}
	return connect.NewResponse(&ternv1.CreateWebhookEndpointResponse{Endpoint: endpointProto(e), Secret: secret}), nil
}

func (s *webhookService) ListWebhookEndpoints(ctx context.Context, _ *connect.Request[ternv1.ListWebhookEndpointsRequest]) (*connect.Response[ternv1.ListWebhookEndpointsResponse], error) {
	tenant := callTenant(ctx)
	if tenant == "" {
		return nil, featureError(s.d.Logger, errPermission)
	}
	list, err := s.d.Endpoints.Endpoints(ctx, tenant)
	if err != nil {
		return nil, featureError(s.d.Logger, err)
	}
	out := &ternv1.ListWebhookEndpointsResponse{}
	for _, e := range list {
		out.Endpoints = append(out.Endpoints, endpointProto(e))
	}
	return connect.NewResponse(out), nil
}

func (s *webhookService) UpdateWebhookEndpoint(ctx context.Context, req *connect.Request[ternv1.UpdateWebhookEndpointRequest]) (*connect.Response[ternv1.UpdateWebhookEndpointResponse], error) {
	m := req.Msg
	tenant, err := targetTenant(ctx, m.GetTenantId())
	if err != nil {
		return nil, featureError(s.d.Logger, err)
	}
	u := webhooks.Update{URL: m.Url, Description: m.Description, Enabled: m.Enabled}
	if m.GetUpdateEvents() {
		u.Events = append([]string{}, m.GetEvents()...)
	}
	e, err := s.d.Endpoints.UpdateEndpoint(ctx, tenant, m.GetId(), u)
	if err != nil {
		return nil, featureError(s.d.Logger, err)
	}
	return connect.NewResponse(&ternv1.UpdateWebhookEndpointResponse{Endpoint: endpointProto(e)}), nil
}

func (s *webhookService) DeleteWebhookEndpoint(ctx context.Context, req *connect.Request[ternv1.DeleteWebhookEndpointRequest]) (*connect.Response[ternv1.DeleteWebhookEndpointResponse], error) {
	tenant, err := targetTenant(ctx, req.Msg.GetTenantId())
	if err != nil {
		return nil, featureError(s.d.Logger, err)
	}
	if err := s.d.Endpoints.DeleteEndpoint(ctx, tenant, req.Msg.GetId()); err != nil {
		return nil, featureError(s.d.Logger, err)
	}
	return connect.NewResponse(&ternv1.DeleteWebhookEndpointResponse{}), nil
}

func (s *webhookService) RotateWebhookSecret(ctx context.Context, req *connect.Request[ternv1.RotateWebhookSecretRequest]) (*connect.Response[ternv1.RotateWebhookSecretResponse], error) {
	m := req.Msg
	tenant, err := targetTenant(ctx, m.GetTenantId())
	if err != nil {
		return nil, featureError(s.d.Logger, err)
	}
	valid := defaultPreviousValid
	if d := m.GetPreviousValidFor(); d != nil {
		if d.CheckValid() != nil {
			return nil, featureError(s.d.Logger, &webhooks.FieldError{Field: "previous_valid_for", Reason: "0 to 7 days"})
		}
		valid = d.AsDuration()
	}
	e, secret, err := s.d.Endpoints.RotateSecret(ctx, tenant, m.GetId(), valid)
	if err != nil {
		return nil, featureError(s.d.Logger, err)
	}
	return connect.NewResponse(&ternv1.RotateWebhookSecretResponse{Endpoint: endpointProto(e), Secret: secret}), nil
}

func (s *webhookService) ListWebhookDeliveries(ctx context.Context, req *connect.Request[ternv1.ListWebhookDeliveriesRequest]) (*connect.Response[ternv1.ListWebhookDeliveriesResponse], error) {
	m, tenant := req.Msg, callTenant(ctx)
	if tenant == "" {
		return nil, featureError(s.d.Logger, errPermission)
	}
	if m.GetPageSize() < 0 || m.GetPageSize() > webhooks.MaxPage {
		return nil, featureError(s.d.Logger, &webhooks.FieldError{Field: "page_size", Reason: "0 to 100"})
	}
	list, next, err := s.d.Log.Deliveries(ctx, tenant, m.GetEndpointId(), int(m.GetPageSize()), m.GetPageToken())
	if err != nil {
		return nil, featureError(s.d.Logger, err)
	}
	states := map[string]ternv1.WebhookDeliveryState{"pending": ternv1.WebhookDeliveryState_WEBHOOK_DELIVERY_STATE_PENDING,
		"delivered": ternv1.WebhookDeliveryState_WEBHOOK_DELIVERY_STATE_DELIVERED, "failed": ternv1.WebhookDeliveryState_WEBHOOK_DELIVERY_STATE_FAILED}
	out := &ternv1.ListWebhookDeliveriesResponse{NextPageToken: next}
	for _, d := range list {
		p := &ternv1.WebhookDelivery{EventId: d.EventID, EventType: d.EventType, State: states[d.State], CreatedAt: timestamppb.New(d.Created)}
		if !d.NextAt.IsZero() {
			p.NextAttemptAt = timestamppb.New(d.NextAt)
		}
		for _, a := range d.Attempts {
			p.Attempts = append(p.Attempts, &ternv1.WebhookAttempt{At: timestamppb.New(a.At), StatusCode: int32(a.Status), Error: a.Error,
				Latency: durationpb.New(a.Latency)})
		}
		out.Deliveries = append(out.Deliveries, p)
	}
	return connect.NewResponse(out), nil
}

func (s *webhookService) ReplayWebhookEvents(ctx context.Context, req *connect.Request[ternv1.ReplayWebhookEventsRequest]) (*connect.Response[ternv1.ReplayWebhookEventsResponse], error) {
	m := req.Msg
	tenant, err := targetTenant(ctx, m.GetTenantId())
	if err != nil {
		return nil, featureError(s.d.Logger, err)
	}
	n, err := s.d.Log.Replay(ctx, tenant, m.GetEndpointId(), m.GetEventIds(), timeOf(m.GetSince()), timeOf(m.GetUntil()))
	if err != nil {
		return nil, featureError(s.d.Logger, err)
	}
	return connect.NewResponse(&ternv1.ReplayWebhookEventsResponse{Queued: n}), nil
}

func endpointProto(e webhooks.Endpoint) *ternv1.WebhookEndpoint {
	out := &ternv1.WebhookEndpoint{Id: e.ID, Url: e.URL, Events: e.Events, Description: e.Description, Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, CreatedAt: timestamppb.New(e.Created)}
	if !e.FailingSince.IsZero() {
		out.FailingSince = timestamppb.New(e.FailingSince)
	}
	if !e.PreviousExpires.IsZero() {
		out.PreviousSecretExpiresAt = timestamppb.New(e.PreviousExpires)
	}
	return out
}
