package api

import (
	"google.golang.org/grpc"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// services are the tern.v1 services the bridge serves on grpc-go: every
// one NewHandler serves, on the same handlers, but the contact, template
// and campaign services, which registerCampaigns registers.
func (b bridge) services() []grpc.ServiceDesc {
	ms := &messageService{d: b.d}
	as := &analyticsService{d: b.d}
	out := []grpc.ServiceDesc{
		{ServiceName: ternv1connect.MessageServiceName, Metadata: ternv1.File_tern_v1_message_service_proto.Path(),
			Methods: []grpc.MethodDesc{
				unary(b, "Send", ms.Send),
				unary(b, "SendBatch", ms.SendBatch),
				unary(b, "Estimate", ms.Estimate),
				unary(b, "GetMessage", ms.GetMessage),
				unary(b, "Cancel", ms.Cancel),
			}},
		{ServiceName: ternv1connect.AnalyticsServiceName, Metadata: ternv1.File_tern_v1_analytics_service_proto.Path(),
			Methods: []grpc.MethodDesc{
				unary(b, "GetCampaignStats", as.GetCampaignStats),
				unary(b, "GetCampaignReport", as.GetCampaignReport),
				unary(b, "GetDeliveryReport", as.GetDeliveryReport),
				unary(b, "ListMessages", as.ListMessages),
				unary(b, "GetListHygieneReport", as.GetListHygieneReport),
				unary(b, "RemoveSuppression", as.RemoveSuppression),
			},
			Streams: []grpc.StreamDesc{
				serverStreaming(b, "ExportMessages", as.exportMessages),
				serverStreaming(b, "ExportHygieneNumbers", as.exportHygiene),
			}},
	}
	if h := b.d.Admin; h != nil {
		out = append(out, grpc.ServiceDesc{ServiceName: ternv1connect.AdminServiceName, Metadata: ternv1.File_tern_v1_admin_service_proto.Path(),
			Methods: []grpc.MethodDesc{
				unary(b, "CreateTenant", h.CreateTenant),
				unary(b, "ListTenants", h.ListTenants),
				unary(b, "CreateApiKey", h.CreateApiKey),
				unary(b, "RevokeApiKey", h.RevokeApiKey),
				unary(b, "ListApiKeys", h.ListApiKeys),
				unary(b, "SetSenders", h.SetSenders),
				unary(b, "ListSenders", h.ListSenders),
				unary(b, "GetConsentPolicy", h.GetConsentPolicy),
				unary(b, "UpdateConsentPolicy", h.UpdateConsentPolicy),
			}})
	}
	if b.d.Verify != nil {
		out = append(out, grpc.ServiceDesc{ServiceName: ternv1connect.VerifyServiceName, Metadata: ternv1.File_tern_v1_verify_service_proto.Path(),
			Methods: verifyMethods(b, b.d.Verify)})
	}
	out = append(out, featureServices(b)...)
	for i := range out {
		out[i].HandlerType = (*any)(nil)
	}
	return out
}
