package api

import (
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/grpc"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// mountFeatures mounts the store, flow and webhook services d has on mux
// (behind the API key, like the others) and the store platforms'
// webhooks (verified by their own signatures, no key), and returns the
// services' names.
func mountFeatures(mux *http.ServeMux, d Deps, opts connect.HandlerOption) []string {
	var names []string
	if d.Events != nil {
		path, h := ternv1connect.NewEventServiceHandler(NewEventService(*d.Events), opts)
		mux.Handle(path, requireKey(d.Keys, h))
		mux.Handle("/webhooks/", NewStoreWebhooks(d.Events.Events, d.Events.Log))
		names = append(names, ternv1connect.EventServiceName)
	}
	if d.Flows != nil {
		path, h := ternv1connect.NewFlowServiceHandler(NewFlowService(*d.Flows), opts)
		mux.Handle(path, requireKey(d.Keys, h))
		names = append(names, ternv1connect.FlowServiceName)
	}
	if d.Webhooks != nil {
		path, h := ternv1connect.NewWebhookServiceHandler(NewWebhookService(*d.Webhooks), opts)
		mux.Handle(path, requireKey(d.Keys, h))
		names = append(names, ternv1connect.WebhookServiceName)
	}
	return names
}

// featureServices are the grpc-go descriptions of the store, flow and
// webhook services d has, answered by the same handlers.
func featureServices(b bridge) []grpc.ServiceDesc {
	var out []grpc.ServiceDesc
	if d := b.d.Events; d != nil {
		s := NewEventService(*d)
		out = append(out, grpc.ServiceDesc{ServiceName: ternv1connect.EventServiceName, HandlerType: (*any)(nil),
			Metadata: ternv1.File_tern_v1_event_service_proto.Path(), Methods: []grpc.MethodDesc{
				unary(b, "Track", s.Track), unary(b, "TrackBatch", s.TrackBatch), unary(b, "SetStoreSecret", s.SetStoreSecret)}})
	}
	if d := b.d.Flows; d != nil {
		s := NewFlowService(*d)
		out = append(out, grpc.ServiceDesc{ServiceName: ternv1connect.FlowServiceName, HandlerType: (*any)(nil),
			Metadata: ternv1.File_tern_v1_flow_service_proto.Path(), Methods: []grpc.MethodDesc{
				unary(b, "ListFlows", s.ListFlows), unary(b, "SetFlowEnabled", s.SetFlowEnabled),
				unary(b, "ConfigureFlow", s.ConfigureFlow), unary(b, "ListFlowRuns", s.ListFlowRuns)}})
	}
	if d := b.d.Webhooks; d != nil {
		s := NewWebhookService(*d)
		out = append(out, grpc.ServiceDesc{ServiceName: ternv1connect.WebhookServiceName, HandlerType: (*any)(nil),
			Metadata: ternv1.File_tern_v1_webhook_service_proto.Path(), Methods: []grpc.MethodDesc{
				unary(b, "CreateWebhookEndpoint", s.CreateWebhookEndpoint), unary(b, "ListWebhookEndpoints", s.ListWebhookEndpoints),
				unary(b, "UpdateWebhookEndpoint", s.UpdateWebhookEndpoint), unary(b, "DeleteWebhookEndpoint", s.DeleteWebhookEndpoint),
				unary(b, "RotateWebhookSecret", s.RotateWebhookSecret), unary(b, "ListWebhookDeliveries", s.ListWebhookDeliveries),
				unary(b, "ReplayWebhookEvents", s.ReplayWebhookEvents)}})
	}
	for _, sd := range out {
		for _, m := range sd.Methods {
			b.methods["/"+sd.ServiceName+"/"+m.MethodName] = true
		}
	}
	return out
}
