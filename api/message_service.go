package api

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/core/price"
	"github.com/ternsms/tern/pipeline"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

type messageService struct {
	d Deps
}

// coding resolves a request's coding options: its own shift tables if it
// names any, else the tenant's.
func (s *messageService) coding(tenant string, smart bool, tables []string) (gsm.Options, error) {
	o := gsm.Options{Smart: smart}
	if len(tables) > 0 {
		l, err := gsm.ParseLanguages(strings.Join(tables, ","))
		if err != nil {
			return o, &pipeline.FieldError{Field: "shift_tables", Reason: "unknown language; use ISO 639-1 codes such as tr, es, pt"}
		}
		o.Languages = l
	} else if s.d.ShiftTables != nil {
		o.Languages = s.d.ShiftTables(tenant)
	}
	return o, nil
}

func (s *messageService) request(ctx context.Context, tenant string, m *ternv1.SendRequest) (pipeline.Request, error) {
	if m.GetTemplateId() != "" {
		return s.templateRequest(ctx, tenant, m)
	}
	coding, err := s.coding(tenant, m.GetSmartEncoding(), m.GetShiftTables())
	var validity time.Duration
	if v := m.GetValidity(); v != nil {
		if verr := v.CheckValid(); verr != nil && err == nil {
			err = &pipeline.FieldError{Field: "validity", Reason: "not a valid duration"}
		}
		validity = v.AsDuration()
	}
	return pipeline.Request{
		TenantID:       tenant,
		To:             m.GetTo(),
		From:           m.GetFrom(),
		Body:           m.GetBody(),
		CampaignID:     m.GetCampaignId(),
		IdempotencyKey: m.GetIdempotencyKey(),
		Category:       core.Category(m.GetCategory()),
		Coding:         coding,
		SendAt:         sendAt(m),
		Validity:       validity,
	}, err
}

func sendAt(m *ternv1.SendRequest) time.Time {
	if m.GetSendAt() == nil {
		return time.Time{}
	}
	return m.GetSendAt().AsTime()
}

func sendResponse(r pipeline.Result) *ternv1.SendResponse {
	return &ternv1.SendResponse{
		Id:       r.ID,
		Status:   ternv1.Status(r.Status),
		Segments: int32(r.Segments),
		Encoding: ternv1.Encoding(r.Encoding),
		Price:    money(r.Price),
	}
}

func money(e *price.Estimate) *ternv1.Money {
	if e == nil {
		return nil
	}
	return &ternv1.Money{Currency: e.Currency, Micros: int64(e.Total)}
}

func (s *messageService) Send(ctx context.Context, req *connect.Request[ternv1.SendRequest]) (*connect.Response[ternv1.SendResponse], error) {
	r, err := s.request(ctx, tenantFrom(ctx), req.Msg)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	reqs := []pipeline.Request{r}
	var out [1]pipeline.Result
	if err := s.d.Sender.Send(ctx, reqs, out[:]); err != nil {
		return nil, connectError(s.d.Log, err)
	}
	if out[0].Err != nil {
		return nil, connectError(s.d.Log, out[0].Err)
	}
	return connect.NewResponse(sendResponse(out[0])), nil
}

func (s *messageService) SendBatch(ctx context.Context, req *connect.Request[ternv1.SendBatchRequest]) (*connect.Response[ternv1.SendBatchResponse], error) {
	items := req.Msg.GetMessages()
	if len(items) == 0 {
		return nil, connectError(s.d.Log, &pipeline.FieldError{Field: "messages", Reason: "required"})
	}
	tenant := tenantFrom(ctx)
	reqs := make([]pipeline.Request, 0, len(items))
	pos := make([]int, 0, len(items)) // reqs[k] is item pos[k]
	out := make([]pipeline.Result, len(items))
	for i, m := range items {
		r, err := s.request(ctx, tenant, m)
		if err != nil {
			out[i] = pipeline.Result{Err: err}
			continue
		}
		reqs, pos = append(reqs, r), append(pos, i)
	}
	sent := make([]pipeline.Result, len(reqs))
	if err := s.d.Sender.Send(ctx, reqs, sent); err != nil {
		return nil, connectError(s.d.Log, err)
	}
	for k, r := range sent {
		out[pos[k]] = r
	}
	resp := &ternv1.SendBatchResponse{Results: make([]*ternv1.SendBatchResult, len(out))}
	for i, r := range out {
		if r.Err == nil {
			resp.Results[i] = &ternv1.SendBatchResult{Result: &ternv1.SendBatchResult_Message{Message: sendResponse(r)}}
			continue
		}
		ce := connectError(s.d.Log, r.Err)
		se := &ternv1.SendError{Code: ce.Code().String(), Message: ce.Message()}
		var fe *pipeline.FieldError
		if errors.As(r.Err, &fe) {
			se.Field = fe.Field
		}
		resp.Results[i] = &ternv1.SendBatchResult{Result: &ternv1.SendBatchResult_Error{Error: se}}
	}
	return connect.NewResponse(resp), nil
}

func (s *messageService) Estimate(ctx context.Context, req *connect.Request[ternv1.EstimateRequest]) (*connect.Response[ternv1.EstimateResponse], error) {
	m := req.Msg
	if m.GetBody() == "" {
		return nil, connectError(s.d.Log, &pipeline.FieldError{Field: "body", Reason: "required"})
	}
	if !utf8.ValidString(m.GetBody()) || utf8.RuneCountInString(m.GetBody()) > pipeline.MaxBodyRunes {
		return nil, connectError(s.d.Log, &pipeline.FieldError{Field: "body", Reason: "not UTF-8 or longer than 1600 characters"})
	}
	opt, err := s.coding(tenantFrom(ctx), m.GetSmartEncoding(), m.GetShiftTables())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	info := gsm.Analyze(m.GetBody(), opt)
	resp := &ternv1.EstimateResponse{
		Encoding: ternv1.Encoding(info.Encoding),
		Units:    int32(info.Units),
		Segments: int32(info.Segments),
	}
	if info.Locking != gsm.Default {
		resp.LockingShift = info.Locking.String()
	}
	if info.Single != gsm.Default {
		resp.SingleShift = info.Single.String()
	}
	if opt.Smart && info.Replaced > 0 {
		for _, r := range gsm.Replacements(m.GetBody(), opt) {
			resp.Replacements = append(resp.Replacements, &ternv1.Replacement{From: string(r.From), To: r.To, Count: int32(r.Count)})
		}
	}
	if to := m.GetTo(); to != "" && s.d.Prices != nil {
		n, err := phone.Parse(to, "")
		if err != nil {
			return nil, connectError(s.d.Log, &pipeline.FieldError{Field: "to", Reason: "not a valid phone number in E.164 form (+14155552671)"})
		}
		if e, err := s.d.Prices.Estimate(n.Region, "", info.Segments); err == nil {
			resp.Price = money(&e)
		}
	}
	return connect.NewResponse(resp), nil
}

// issued checks that id is a message id tern issued to tenant and returns
// when; the error names the id field when it is missing or malformed.
func (s *messageService) issued(tenant, id string) (time.Time, error) {
	if id == "" {
		return time.Time{}, &pipeline.FieldError{Field: "id", Reason: "required"}
	}
	created, err := s.d.IDs.Check(tenant, id)
	if errors.Is(err, msgid.ErrMalformed) {
		return time.Time{}, &pipeline.FieldError{Field: "id", Reason: "not a message id"}
	}
	return created, err
}

func (s *messageService) GetMessage(ctx context.Context, req *connect.Request[ternv1.GetMessageRequest]) (*connect.Response[ternv1.GetMessageResponse], error) {
	tenant, id := tenantFrom(ctx), req.Msg.GetId()
	created, err := s.issued(tenant, id)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	v, err := s.d.Reports.Message(ctx, tenant, id)
	if errors.Is(err, analytics.ErrNotFound) {
		// Issued by us, no event recorded yet: it is queued.
		return connect.NewResponse(&ternv1.GetMessageResponse{Message: &ternv1.Message{
			Id:         id,
			Status:     ternv1.Status_STATUS_QUEUED,
			AcceptedAt: timestamppb.New(created),
			UpdatedAt:  timestamppb.New(created),
		}}), nil
	}
	if err != nil {
		return nil, reportError(s.d.Log, "message report", err)
	}
	return connect.NewResponse(&ternv1.GetMessageResponse{Message: messageFromView(v)}), nil
}

func (s *messageService) Cancel(ctx context.Context, req *connect.Request[ternv1.CancelRequest]) (*connect.Response[ternv1.CancelResponse], error) {
	if s.d.Cancels == nil {
		return nil, connect.NewError(connect.CodeUnimplemented, errors.New("cancel is not served here"))
	}
	tenant, id := tenantFrom(ctx), req.Msg.GetId()
	created, err := s.issued(tenant, id)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	if err := s.d.Cancels.Cancel(ctx, tenant, id, created); err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.CancelResponse{Id: id, Status: ternv1.Status_STATUS_CANCELED}), nil
}

func messageFromView(v analytics.MessageView) *ternv1.Message {
	return &ternv1.Message{
		Id:          v.ID,
		To:          v.To,
		CampaignId:  v.CampaignID,
		Category:    ternv1.Category(v.Category),
		Status:      ternv1.Status(v.Status),
		Segments:    int32(v.Segments),
		Encoding:    ternv1.Encoding(v.Encoding),
		Reason:      v.Reason,
		ErrorCode:   v.ErrorCode,
		Carrier:     v.Carrier,
		AcceptedAt:  timestamp(v.AcceptedAt),
		SubmittedAt: timestamp(v.SubmittedAt),
		DoneAt:      timestamp(v.DoneAt),
		UpdatedAt:   timestamp(v.UpdatedAt),
	}
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
