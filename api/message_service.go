package api

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

type messageService struct {
	d Deps
}

func request(tenant string, m *ternv1.SendRequest) pipeline.Request {
	return pipeline.Request{
		TenantID:       tenant,
		To:             m.GetTo(),
		From:           m.GetFrom(),
		Body:           m.GetBody(),
		CampaignID:     m.GetCampaignId(),
		IdempotencyKey: m.GetIdempotencyKey(),
		Category:       core.Category(m.GetCategory()),
	}
}

func sendResponse(r pipeline.Result) *ternv1.SendResponse {
	return &ternv1.SendResponse{
		Id:       r.ID,
		Status:   ternv1.Status(r.Status),
		Segments: int32(r.Segments),
		Encoding: ternv1.Encoding(r.Encoding),
	}
}

func (s *messageService) Send(ctx context.Context, req *connect.Request[ternv1.SendRequest]) (*connect.Response[ternv1.SendResponse], error) {
	reqs := []pipeline.Request{request(tenantFrom(ctx), req.Msg)}
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
	reqs := make([]pipeline.Request, len(items))
	for i, m := range items {
		reqs[i] = request(tenant, m)
	}
	out := make([]pipeline.Result, len(reqs))
	if err := s.d.Sender.Send(ctx, reqs, out); err != nil {
		return nil, connectError(s.d.Log, err)
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

func (s *messageService) GetMessage(ctx context.Context, req *connect.Request[ternv1.GetMessageRequest]) (*connect.Response[ternv1.GetMessageResponse], error) {
	tenant, id := tenantFrom(ctx), req.Msg.GetId()
	if id == "" {
		return nil, connectError(s.d.Log, &pipeline.FieldError{Field: "id", Reason: "required"})
	}
	created, err := s.d.IDs.Check(tenant, id)
	if errors.Is(err, msgid.ErrMalformed) {
		return nil, connectError(s.d.Log, &pipeline.FieldError{Field: "id", Reason: "not a message id"})
	}
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
		s.d.Log.Warn("message report", "err", err)
		return nil, connectError(s.d.Log, errReportsUnavailable)
	}
	return connect.NewResponse(&ternv1.GetMessageResponse{Message: messageFromView(v)}), nil
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
