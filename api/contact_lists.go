package api

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/pipeline/contacts"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

func (s *contactService) CreateList(ctx context.Context, req *connect.Request[ternv1.CreateListRequest]) (*connect.Response[ternv1.CreateListResponse], error) {
	if s.d.Lists == nil {
		return nil, errNoContactBook
	}
	l, err := s.d.Lists.CreateList(ctx, tenantFrom(ctx), req.Msg.GetName())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.CreateListResponse{List: listProto(l)}), nil
}

func (s *contactService) ListLists(ctx context.Context, _ *connect.Request[ternv1.ListListsRequest]) (*connect.Response[ternv1.ListListsResponse], error) {
	if s.d.Lists == nil {
		return nil, errNoContactBook
	}
	ls, err := s.d.Lists.Lists(ctx, tenantFrom(ctx))
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	out := &ternv1.ListListsResponse{}
	for _, l := range ls {
		out.Lists = append(out.Lists, listProto(l))
	}
	return connect.NewResponse(out), nil
}

func (s *contactService) DeleteList(ctx context.Context, req *connect.Request[ternv1.DeleteListRequest]) (*connect.Response[ternv1.DeleteListResponse], error) {
	if s.d.Lists == nil {
		return nil, errNoContactBook
	}
	if err := s.d.Lists.DeleteList(ctx, tenantFrom(ctx), req.Msg.GetId()); err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.DeleteListResponse{}), nil
}

func (s *contactService) AddListMembers(ctx context.Context, req *connect.Request[ternv1.AddListMembersRequest]) (*connect.Response[ternv1.AddListMembersResponse], error) {
	if s.d.Lists == nil {
		return nil, errNoContactBook
	}
	n, err := s.d.Lists.AddMembers(ctx, tenantFrom(ctx), req.Msg.GetListId(), req.Msg.GetContactIds())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.AddListMembersResponse{Added: n}), nil
}

func (s *contactService) RemoveListMembers(ctx context.Context, req *connect.Request[ternv1.RemoveListMembersRequest]) (*connect.Response[ternv1.RemoveListMembersResponse], error) {
	if s.d.Lists == nil {
		return nil, errNoContactBook
	}
	n, err := s.d.Lists.RemoveMembers(ctx, tenantFrom(ctx), req.Msg.GetListId(), req.Msg.GetContactIds())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.RemoveListMembersResponse{Removed: n}), nil
}

func listProto(l contacts.List) *ternv1.ContactList {
	return &ternv1.ContactList{Id: l.ID, Name: l.Name, Size: l.Size, CreatedAt: timestamppb.New(l.Created)}
}

func (s *contactService) CreateSegment(ctx context.Context, req *connect.Request[ternv1.CreateSegmentRequest]) (*connect.Response[ternv1.CreateSegmentResponse], error) {
	if s.d.Segments == nil {
		return nil, errNoContactBook
	}
	sg, err := s.d.Segments.CreateSegment(ctx, tenantFrom(ctx), req.Msg.GetName(), req.Msg.GetFilter())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.CreateSegmentResponse{Segment: segmentProto(sg)}), nil
}

func (s *contactService) UpdateSegment(ctx context.Context, req *connect.Request[ternv1.UpdateSegmentRequest]) (*connect.Response[ternv1.UpdateSegmentResponse], error) {
	if s.d.Segments == nil {
		return nil, errNoContactBook
	}
	sg, err := s.d.Segments.UpdateSegment(ctx, tenantFrom(ctx), req.Msg.GetId(), req.Msg.GetName(), req.Msg.GetFilter())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.UpdateSegmentResponse{Segment: segmentProto(sg)}), nil
}

func (s *contactService) ListSegments(ctx context.Context, _ *connect.Request[ternv1.ListSegmentsRequest]) (*connect.Response[ternv1.ListSegmentsResponse], error) {
	if s.d.Segments == nil {
		return nil, errNoContactBook
	}
	sgs, err := s.d.Segments.Segments(ctx, tenantFrom(ctx))
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	out := &ternv1.ListSegmentsResponse{}
	for _, sg := range sgs {
		out.Segments = append(out.Segments, segmentProto(sg))
	}
	return connect.NewResponse(out), nil
}

func (s *contactService) DeleteSegment(ctx context.Context, req *connect.Request[ternv1.DeleteSegmentRequest]) (*connect.Response[ternv1.DeleteSegmentResponse], error) {
	if s.d.Segments == nil {
		return nil, errNoContactBook
	}
	if err := s.d.Segments.DeleteSegment(ctx, tenantFrom(ctx), req.Msg.GetId()); err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.DeleteSegmentResponse{}), nil
}

func segmentProto(sg contacts.Segment) *ternv1.Segment {
	return &ternv1.Segment{Id: sg.ID, Name: sg.Name, Filter: sg.Filter, CreatedAt: timestamppb.New(sg.Created), UpdatedAt: timestamppb.New(sg.Updated)}
}
