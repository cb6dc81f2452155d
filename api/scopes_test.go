package api

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ternsms/tern/pipeline/tenants"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestEveryProcedureHasAScope: every method of every tern.v1 service
// declares the scope a key needs for it.
func TestEveryProcedureHasAScope(t *testing.T) {
	t.Parallel()
	files := []protoreflect.FileDescriptor{
		ternv1.File_tern_v1_message_service_proto, ternv1.File_tern_v1_analytics_service_proto,
		ternv1.File_tern_v1_admin_service_proto, ternv1.File_tern_v1_contact_service_proto,
		ternv1.File_tern_v1_verify_service_proto,
		ternv1.File_tern_v1_template_service_proto, ternv1.File_tern_v1_campaign_service_proto,
		ternv1.File_tern_v1_event_service_proto, ternv1.File_tern_v1_flow_service_proto, ternv1.File_tern_v1_webhook_service_proto,
	}
	n := 0
	for _, f := range files {
		for i := range f.Services().Len() {
			svc := f.Services().Get(i)
			for j := range svc.Methods().Len() {
				proc := "/" + string(svc.FullName()) + "/" + string(svc.Methods().Get(j).Name())
				if _, ok := procedureScopes[proc]; !ok {
					t.Errorf("%s declares no scope", proc)
				}
				n++
			}
		}
	}
	if n != len(procedureScopes) {
		t.Errorf("%d procedures, %d scopes: the table names a procedure that does not exist", n, len(procedureScopes))
	}
}

func TestCallerPermits(t *testing.T) {
	t.Parallel()
	tenantKey := Caller{Tenant: "shop-1", Scopes: tenants.DefaultScopes}
	tenantAdmin := Caller{Tenant: "shop-1", Scopes: tenants.ScopeAdmin}
	operator := Caller{Scopes: tenants.ScopeAdmin}
	sendOnly := Caller{Tenant: "shop-1", Scopes: tenants.ScopeSend}
	tests := []struct {
		name   string
		caller Caller
		proc   string
		want   bool
	}{
		{"tenant key sends", tenantKey, ternv1connect.MessageServiceSendProcedure, true},
		{"tenant key records consent", tenantKey, ternv1connect.ContactServiceRecordConsentProcedure, true},
		{"tenant key cannot admin", tenantKey, ternv1connect.AdminServiceCreateApiKeyProcedure, false},
		{"send-only key cannot read", sendOnly, ternv1connect.MessageServiceGetMessageProcedure, false},
		{"send-only key cannot touch contacts", sendOnly, ternv1connect.ContactServiceListConsentEventsProcedure, false},
		{"tenant admin makes keys", tenantAdmin, ternv1connect.AdminServiceCreateApiKeyProcedure, true},
		{"tenant admin cannot create tenants", tenantAdmin, ternv1connect.AdminServiceCreateTenantProcedure, false},
		{"operator creates tenants", operator, ternv1connect.AdminServiceCreateTenantProcedure, true},
		{"operator does not send", operator, ternv1connect.MessageServiceSendProcedure, false},
		{"unknown procedure", operator, "/tern.v1.Nothing/Do", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, why := tt.caller.permits(tt.proc); got != tt.want || (!got && why == "") {
				t.Fatalf("permits = %v (%q), want %v", got, why, tt.want)
			}
		})
	}
}
