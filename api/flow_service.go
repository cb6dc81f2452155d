package api

import (
	"context"
	"log/slog"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core/flow"
	"github.com/ternsms/tern/pipeline/flows"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// FlowEngine lists and configures flows and their runs; flows.Engine is
// one.
type FlowEngine interface {
	Flows(ctx context.Context, tenant string) ([]flows.View, error)
	SetEnabled(ctx context.Context, tenant, id string, enabled bool) (flows.View, error)
	Configure(ctx context.Context, tenant, id string, c flow.Change) (flows.View, error)
	Runs(ctx context.Context, tenant string, f flows.Filter, pageSize int, token string) ([]flows.Run, string, error)
}

// FlowDeps are what the flow service calls.
type FlowDeps struct {
	Flows FlowEngine
	Log   *slog.Logger
}

type flowService struct {
	d FlowDeps
}

var _ ternv1connect.FlowServiceHandler = (*flowService)(nil)

// NewFlowService returns the FlowService handler over d.
func NewFlowService(d FlowDeps) ternv1connect.FlowServiceHandler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &flowService{d: d}
}

func (s *flowService) ListFlows(ctx context.Context, _ *connect.Request[ternv1.ListFlowsRequest]) (*connect.Response[ternv1.ListFlowsResponse], error) {
	tenant := callTenant(ctx)
	if tenant == "" {
		return nil, featureError(s.d.Log, errPermission)
	}
	views, err := s.d.Flows.Flows(ctx, tenant)
	if err != nil {
		return nil, featureError(s.d.Log, err)
	}
	out := &ternv1.ListFlowsResponse{}
	for _, v := range views {
		out.Flows = append(out.Flows, flowProto(v))
	}
	return connect.NewResponse(out), nil
}

func (s *flowService) SetFlowEnabled(ctx context.Context, req *connect.Request[ternv1.SetFlowEnabledRequest]) (*connect.Response[ternv1.SetFlowEnabledResponse], error) {
	tenant, err := targetTenant(ctx, req.Msg.GetTenantId())
	if err != nil {
		return nil, featureError(s.d.Log, err)
	}
	v, err := s.d.Flows.SetEnabled(ctx, tenant, req.Msg.GetFlowId(), req.Msg.GetEnabled())
	if err != nil {
		return nil, featureError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.SetFlowEnabledResponse{Flow: flowProto(v)}), nil
}

func (s *flowService) ConfigureFlow(ctx context.Context, req *connect.Request[ternv1.ConfigureFlowRequest]) (*connect.Response[ternv1.ConfigureFlowResponse], error) {
	m := req.Msg
	tenant, err := targetTenant(ctx, m.GetTenantId())
	if err != nil {
		return nil, featureError(s.d.Log, err)
	}
	c := flow.Change{Templates: m.GetTemplates(), Times: m.GetTimesOfDay(), Delays: map[string]time.Duration{}}
	for name, d := range m.GetDelays() {
		if d.CheckValid() != nil {
			return nil, featureError(s.d.Log, &flow.FieldError{Field: "delays." + name, Reason: "not a valid duration"})
		}
		c.Delays[name] = d.AsDuration()
	}
	if d := m.GetInactiveFor(); d != nil {
		if d.CheckValid() != nil || d.AsDuration() <= 0 {
			return nil, featureError(s.d.Log, &flow.FieldError{Field: "inactive_for", Reason: "1 to 365 days"})
		}
		c.InactiveFor = d.AsDuration()
	}
	v, err := s.d.Flows.Configure(ctx, tenant, m.GetFlowId(), c)
	if err != nil {
		return nil, featureError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.ConfigureFlowResponse{Flow: flowProto(v)}), nil
}

func (s *flowService) ListFlowRuns(ctx context.Context, req *connect.Request[ternv1.ListFlowRunsRequest]) (*connect.Response[ternv1.ListFlowRunsResponse], error) {
	m, tenant := req.Msg, callTenant(ctx)
	if tenant == "" {
		return nil, featureError(s.d.Log, errPermission)
	}
	if m.GetPageSize() < 0 || m.GetPageSize() > flows.MaxPage {
		return nil, featureError(s.d.Log, &flow.FieldError{Field: "page_size", Reason: "0 to 100"})
	}
	phone := ""
	if m.GetCustomerPhone() != "" {
		if phone = e164(m.GetCustomerPhone()); phone == "" {
			return nil, featureError(s.d.Log, &flow.FieldError{Field: "customer_phone", Reason: "not a valid phone number in E.164 form (+14155552671)"})
		}
	}
	runs, next, err := s.d.Flows.Runs(ctx, tenant, flows.Filter{Flow: m.GetFlowId(), Phone: phone}, int(m.GetPageSize()), m.GetPageToken())
	if err != nil {
		return nil, featureError(s.d.Log, err)
	}
	out := &ternv1.ListFlowRunsResponse{NextPageToken: next}
	for _, r := range runs {
		out.Runs = append(out.Runs, runProto(r))
	}
	return connect.NewResponse(out), nil
}

func flowProto(v flows.View) *ternv1.Flow {
	f := v.Flow
	out := &ternv1.Flow{Id: f.ID, Name: f.Name, Description: f.Description, Trigger: f.Trigger.Text, Enabled: v.Enabled, Variables: flow.Variables}
	for _, t := range f.Trigger.On {
		out.TriggerEvents = append(out.TriggerEvents, ternv1.StoreEventType(t))
	}
	for _, x := range f.Exits {
		out.Exits = append(out.Exits, x.Text)
	}
	if f.InactiveFor > 0 {
		out.InactiveFor = durationpb.New(f.InactiveFor)
	}
	for _, st := range f.Steps {
		p := &ternv1.FlowStep{Name: st.Name, Kind: ternv1.FlowStepKind(st.Kind)}
		switch st.Kind {
		case flow.Wait:
			p.Delay = durationpb.New(st.Delay)
		case flow.WaitUntil:
			p.TimeOfDay = st.At.String()
		case flow.Send:
			_, custom := v.Settings.Templates[st.Name]
			p.Template, p.Customized, p.Category = st.Template, custom, ternv1.Category(st.Category)
		case flow.Branch:
			p.Condition, p.ThenStep, p.ElseStep = st.If.String(), st.Next, st.Else
		}
		out.Steps = append(out.Steps, p)
	}
	return out
}

func runProto(r flows.Run) *ternv1.FlowRun {
	state := map[string]ternv1.FlowRunState{"waiting": ternv1.FlowRunState_FLOW_RUN_STATE_WAITING,
		"completed": ternv1.FlowRunState_FLOW_RUN_STATE_COMPLETED, "exited": ternv1.FlowRunState_FLOW_RUN_STATE_EXITED}[r.State]
	out := &ternv1.FlowRun{Id: itoa(r.ID), FlowId: r.Flow, State: state, ExitReason: r.ExitReason, CustomerPhone: r.Phone, Subject: r.Subject,
		TriggerEventId: r.TriggerEvent, StartedAt: timestamppb.New(r.Started), UpdatedAt: timestamppb.New(r.Updated), NextStep: r.NextStep}
	if !r.NextAt.IsZero() {
		out.NextStepAt = timestamppb.New(r.NextAt)
	}
	for _, x := range r.Log {
		out.Log = append(out.Log, &ternv1.FlowRunEntry{At: timestamppb.New(x.At), Step: x.Step, Outcome: x.Outcome, Detail: x.Detail, MessageId: x.MessageID})
	}
	return out
}
