package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/pipeline/flows"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	"github.com/ternsms/tern/pipeline/tenants"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

func TestFlowService(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	en, err := flows.Open(ctx, pgtest.URL(t), flows.Config{Brokers: []string{kafkatest.Broker(t)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer en.Close()
	svc := NewFlowService(FlowDeps{Flows: en})
	shop := withCaller(ctx, Caller{Tenant: "shop-1", Scopes: tenants.DefaultScopes | tenants.ScopeAdmin})
	operator := withCaller(ctx, Caller{Scopes: tenants.ScopeAdmin})

	list, err := svc.ListFlows(shop, connect.NewRequest(&ternv1.ListFlowsRequest{}))
	if err != nil || len(list.Msg.Flows) != 8 || list.Msg.Flows[0].Id != "abandoned_checkout" || list.Msg.Flows[0].Enabled ||
		list.Msg.Flows[0].Steps[0].Delay.AsDuration() != time.Hour || list.Msg.Flows[0].Steps[1].Category != ternv1.Category_CATEGORY_MARKETING {
		t.Fatalf("ListFlows = %v, %v", list, err)
	}
	if _, err := svc.SetFlowEnabled(shop, connect.NewRequest(&ternv1.SetFlowEnabledRequest{FlowId: "nope", Enabled: true})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("unknown flow: %v", err)
	}
	if _, err := svc.SetFlowEnabled(operator, connect.NewRequest(&ternv1.SetFlowEnabledRequest{FlowId: "order_confirmation", Enabled: true})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("operator without tenant_id: %v", err)
	}
	if r, err := svc.SetFlowEnabled(operator, connect.NewRequest(&ternv1.SetFlowEnabledRequest{FlowId: "order_confirmation", Enabled: true, TenantId: "shop-1"})); err != nil || !r.Msg.Flow.Enabled {
		t.Fatalf("enable = %v, %v", r, err)
	}
	bad := []struct {
		req  *ternv1.ConfigureFlowRequest
		want string
	}{
		{&ternv1.ConfigureFlowRequest{FlowId: "abandoned_checkout", Templates: map[string]string{"reminder": "{{coupon}}"}}, `templates.reminder: variable "coupon" is not one a flow offers`},
		{&ternv1.ConfigureFlowRequest{FlowId: "abandoned_checkout", Delays: map[string]*durationpb.Duration{"wait": durationpb.New(time.Second)}}, "delays.wait: 1 minute to 35 days"},
		{&ternv1.ConfigureFlowRequest{FlowId: "win_back", TimesOfDay: map[string]string{"send_time": "9"}}, "times_of_day.send_time:"},
		{&ternv1.ConfigureFlowRequest{FlowId: "win_back", InactiveFor: durationpb.New(-time.Hour)}, "inactive_for: 1 to 365 days"},
	}
	for _, b := range bad {
		if _, err := svc.ConfigureFlow(shop, connect.NewRequest(b.req)); connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ConfigureFlow(%v) = %v, want InvalidArgument %q", b.req, err, b.want)
		}
	}
	c, err := svc.ConfigureFlow(shop, connect.NewRequest(&ternv1.ConfigureFlowRequest{FlowId: "abandoned_checkout",
		Templates: map[string]string{"reminder": "{{shop_name}}: your cart {{checkout_url}} STOP to end"},
		Delays:    map[string]*durationpb.Duration{"wait": durationpb.New(30 * time.Minute)}}))
	if err != nil || c.Msg.Flow.Steps[0].Delay.AsDuration() != 30*time.Minute || !c.Msg.Flow.Steps[1].Customized {
		t.Fatalf("ConfigureFlow = %v, %v", c, err)
	}

	ev := commerce.Event{ID: "api:o1", Tenant: "shop-1", Type: commerce.OrderCreated, OrderID: "o1", Customer: commerce.Customer{Phone: "+14155552671"}}
	if err := en.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	runs, err := svc.ListFlowRuns(shop, connect.NewRequest(&ternv1.ListFlowRunsRequest{CustomerPhone: "14155552671"}))
	if err != nil || len(runs.Msg.Runs) != 1 || runs.Msg.Runs[0].State != ternv1.FlowRunState_FLOW_RUN_STATE_WAITING ||
		runs.Msg.Runs[0].NextStep != "confirmation" || runs.Msg.Runs[0].Log[0].Outcome != "started" {
		t.Fatalf("ListFlowRuns = %v, %v", runs, err)
	}
	for _, req := range []*ternv1.ListFlowRunsRequest{{PageToken: "zz"}, {CustomerPhone: "12"}, {PageSize: 101}} {
		if _, err := svc.ListFlowRuns(shop, connect.NewRequest(req)); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("ListFlowRuns(%v) = %v, want InvalidArgument", req, err)
		}
	}
}
