package api

import (
	"github.com/ternsms/tern/pipeline/tenants"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// procedureScopes is the scope each procedure needs. A handler declares
// its scope here, beside its procedure's name; a procedure missing from
// the table is refused to every key (TestEveryProcedureHasAScope keeps
// the table whole). The auth interceptor checks it before the handler
// runs.
var procedureScopes = map[string]tenants.Scope{
	ternv1connect.MessageServiceSendProcedure:               tenants.ScopeSend,
	ternv1connect.MessageServiceSendBatchProcedure:          tenants.ScopeSend,
	ternv1connect.MessageServiceEstimateProcedure:           tenants.ScopeSend,
	ternv1connect.MessageServiceCancelProcedure:             tenants.ScopeSend,
	ternv1connect.MessageServiceGetMessageProcedure:         tenants.ScopeRead,
	ternv1connect.AnalyticsServiceGetCampaignStatsProcedure: tenants.ScopeRead,

	ternv1connect.AnalyticsServiceGetCampaignReportProcedure:    tenants.ScopeRead,
	ternv1connect.AnalyticsServiceGetDeliveryReportProcedure:    tenants.ScopeRead,
	ternv1connect.AnalyticsServiceListMessagesProcedure:         tenants.ScopeRead,
	ternv1connect.AnalyticsServiceExportMessagesProcedure:       tenants.ScopeRead,
	ternv1connect.AnalyticsServiceGetListHygieneReportProcedure: tenants.ScopeRead,
	ternv1connect.AnalyticsServiceExportHygieneNumbersProcedure: tenants.ScopeRead,
	ternv1connect.AnalyticsServiceRemoveSuppressionProcedure:    tenants.ScopeContacts,

	ternv1connect.ContactServiceRecordConsentProcedure:     tenants.ScopeContacts,
	ternv1connect.ContactServiceRevokeConsentProcedure:     tenants.ScopeContacts,
	ternv1connect.ContactServiceListConsentEventsProcedure: tenants.ScopeContacts,
	ternv1connect.ContactServiceEraseNumberProcedure:       tenants.ScopeContacts,
	ternv1connect.ContactServiceListInboundProcedure:       tenants.ScopeContacts,

	ternv1connect.ContactServiceUpsertContactProcedure:       tenants.ScopeContacts,
	ternv1connect.ContactServiceGetContactProcedure:          tenants.ScopeContacts,
	ternv1connect.ContactServiceListContactsProcedure:        tenants.ScopeContacts,
	ternv1connect.ContactServiceDeleteContactProcedure:       tenants.ScopeContacts,
	ternv1connect.ContactServiceCreateListProcedure:          tenants.ScopeContacts,
	ternv1connect.ContactServiceListListsProcedure:           tenants.ScopeContacts,
	ternv1connect.ContactServiceDeleteListProcedure:          tenants.ScopeContacts,
	ternv1connect.ContactServiceAddListMembersProcedure:      tenants.ScopeContacts,
	ternv1connect.ContactServiceRemoveListMembersProcedure:   tenants.ScopeContacts,
	ternv1connect.ContactServiceCreateSegmentProcedure:       tenants.ScopeContacts,
	ternv1connect.ContactServiceUpdateSegmentProcedure:       tenants.ScopeContacts,
	ternv1connect.ContactServiceListSegmentsProcedure:        tenants.ScopeContacts,
	ternv1connect.ContactServiceDeleteSegmentProcedure:       tenants.ScopeContacts,
	ternv1connect.ContactServicePreviewSegmentProcedure:      tenants.ScopeContacts,
	ternv1connect.ContactServiceImportContactsProcedure:      tenants.ScopeContacts,
	ternv1connect.ContactServiceImportContactsChunkProcedure: tenants.ScopeContacts,
	ternv1connect.ContactServiceWatchImportProcedure:         tenants.ScopeContacts,
	ternv1connect.ContactServiceListImportErrorsProcedure:    tenants.ScopeContacts,

	// Templates and campaigns: changing them sends (or will), reading
	// them is reading.
	ternv1connect.TemplateServiceCreateTemplateProcedure:   tenants.ScopeSend,
	ternv1connect.TemplateServiceUpdateTemplateProcedure:   tenants.ScopeSend,
	ternv1connect.TemplateServiceDeleteTemplateProcedure:   tenants.ScopeSend,
	ternv1connect.TemplateServiceEstimateTemplateProcedure: tenants.ScopeSend,
	ternv1connect.TemplateServiceGetTemplateProcedure:      tenants.ScopeRead,
	ternv1connect.TemplateServiceListTemplatesProcedure:    tenants.ScopeRead,
	ternv1connect.CampaignServiceCreateCampaignProcedure:   tenants.ScopeSend,
	ternv1connect.CampaignServiceEstimateCampaignProcedure: tenants.ScopeSend,
	ternv1connect.CampaignServiceLaunchCampaignProcedure:   tenants.ScopeSend,
	ternv1connect.CampaignServicePauseCampaignProcedure:    tenants.ScopeSend,
	ternv1connect.CampaignServiceResumeCampaignProcedure:   tenants.ScopeSend,
	ternv1connect.CampaignServiceCancelCampaignProcedure:   tenants.ScopeSend,
	ternv1connect.CampaignServiceGetCampaignProcedure:      tenants.ScopeRead,
	ternv1connect.CampaignServiceListCampaignsProcedure:    tenants.ScopeRead,
	ternv1connect.CampaignServiceWatchCampaignProcedure:    tenants.ScopeRead,

	ternv1connect.AdminServiceCreateTenantProcedure:        tenants.ScopeAdmin,
	ternv1connect.AdminServiceListTenantsProcedure:         tenants.ScopeAdmin,
	ternv1connect.AdminServiceCreateApiKeyProcedure:        tenants.ScopeAdmin,
	ternv1connect.AdminServiceRevokeApiKeyProcedure:        tenants.ScopeAdmin,
	ternv1connect.AdminServiceListApiKeysProcedure:         tenants.ScopeAdmin,
	ternv1connect.AdminServiceSetSendersProcedure:          tenants.ScopeAdmin,
	ternv1connect.AdminServiceListSendersProcedure:         tenants.ScopeAdmin,
	ternv1connect.AdminServiceGetConsentPolicyProcedure:    tenants.ScopeAdmin,
	ternv1connect.AdminServiceUpdateConsentPolicyProcedure: tenants.ScopeAdmin,

	ternv1connect.VerifyServiceStartVerificationProcedure:      tenants.ScopeSend,
	ternv1connect.VerifyServiceCheckVerificationProcedure:      tenants.ScopeSend,
	ternv1connect.VerifyServiceCancelVerificationProcedure:     tenants.ScopeSend,
	ternv1connect.VerifyServiceGetVerificationProcedure:        tenants.ScopeRead,
	ternv1connect.VerifyServiceGetVerifyPolicyProcedure:        tenants.ScopeAdmin,
	ternv1connect.VerifyServiceUpdateVerifyPolicyProcedure:     tenants.ScopeAdmin,
	ternv1connect.EventServiceTrackProcedure:                   tenants.ScopeSend,
	ternv1connect.EventServiceTrackBatchProcedure:              tenants.ScopeSend,
	ternv1connect.EventServiceSetStoreSecretProcedure:          tenants.ScopeAdmin,
	ternv1connect.FlowServiceListFlowsProcedure:                tenants.ScopeRead,
	ternv1connect.FlowServiceListFlowRunsProcedure:             tenants.ScopeRead,
	ternv1connect.FlowServiceSetFlowEnabledProcedure:           tenants.ScopeAdmin,
	ternv1connect.FlowServiceConfigureFlowProcedure:            tenants.ScopeAdmin,
	ternv1connect.WebhookServiceListWebhookEndpointsProcedure:  tenants.ScopeRead,
	ternv1connect.WebhookServiceListWebhookDeliveriesProcedure: tenants.ScopeRead,
	ternv1connect.WebhookServiceCreateWebhookEndpointProcedure: tenants.ScopeAdmin,
	ternv1connect.WebhookServiceUpdateWebhookEndpointProcedure: tenants.ScopeAdmin,
	ternv1connect.WebhookServiceDeleteWebhookEndpointProcedure: tenants.ScopeAdmin,
	ternv1connect.WebhookServiceRotateWebhookSecretProcedure:   tenants.ScopeAdmin,
	ternv1connect.WebhookServiceReplayWebhookEventsProcedure:   tenants.ScopeAdmin,
}

// operatorOnly are the procedures only an operator key (one without a
// tenant) may call.
var operatorOnly = map[string]bool{
	ternv1connect.AdminServiceCreateTenantProcedure: true,
	ternv1connect.AdminServiceListTenantsProcedure:  true,
}

// Caller is who makes a call: the key's tenant ("" for an operator key)
// and scopes.
type Caller struct {
	KeyID  string
	Tenant string
	Scopes tenants.Scope
}

// permits tells whether c may call procedure, and if not, why.
func (c Caller) permits(procedure string) (bool, string) {
	need, ok := procedureScopes[procedure]
	if !ok {
		return false, "no API key may call " + procedure
	}
	if !c.Scopes.Has(need) {
		return false, "this API key lacks the " + need.String() + " scope"
	}
	if operatorOnly[procedure] && c.Tenant != "" {
		return false, "only an operator key (one without a tenant) may call this"
	}
	if c.Tenant == "" && need != tenants.ScopeAdmin {
		return false, "an operator key only manages; use a tenant's key"
	}
	return true, ""
}
