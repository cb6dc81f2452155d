package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// mountCampaigns mounts the contact, template and campaign services that
// d has, and the link redirects, and returns the services' names.
func mountCampaigns(mux *http.ServeMux, d Deps, opts connect.HandlerOption) []string {
	var names []string
	if d.Contacts != nil {
		path, h := ternv1connect.NewContactServiceHandler(NewContactService(*d.Contacts), opts)
		mux.Handle(path, requireKey(d.Keys, h))
		names = append(names, ternv1connect.ContactServiceName)
	}
	if d.Templates != nil {
		path, h := ternv1connect.NewTemplateServiceHandler(NewTemplateService(*d.Templates), opts)
		mux.Handle(path, requireKey(d.Keys, h))
		names = append(names, ternv1connect.TemplateServiceName)
	}
	if d.Campaigns != nil {
		path, h := ternv1connect.NewCampaignServiceHandler(NewCampaignService(*d.Campaigns), opts)
		mux.Handle(path, requireKey(d.Keys, h))
		names = append(names, ternv1connect.CampaignServiceName)
	}
	if d.Links != nil {
		mux.Handle(LinkPrefix, d.Links)
	}
	return names
}

// registerCampaigns registers with g, for grpc-go, the services
// mountCampaigns mounts, answered by the same handlers.
func registerCampaigns(g *grpc.Server, b bridge) {
	reg := func(name string, file string, methods []grpc.MethodDesc, streams []grpc.StreamDesc) {
		for _, m := range methods {
			b.methods["/"+name+"/"+m.MethodName] = true
		}
		for _, s := range streams {
			b.methods["/"+name+"/"+s.StreamName] = true
		}
		g.RegisterService(&grpc.ServiceDesc{ServiceName: name, HandlerType: (*any)(nil), Methods: methods, Streams: streams, Metadata: file}, struct{}{})
	}
	if b.d.Contacts != nil {
		cs := NewContactService(*b.d.Contacts).(*contactService)
		reg(ternv1connect.ContactServiceName, ternv1.File_tern_v1_contact_service_proto.Path(), contactMethods(b, cs), []grpc.StreamDesc{
			clientStream(b, "ImportContacts", cs.importStream),
			serverStream(b, "WatchImport", func(ctx context.Context, req *ternv1.WatchImportRequest, send func(*ternv1.WatchImportResponse) error) error {
				return cs.watchImport(ctx, req.GetImportId(), send)
			}),
		})
	}
	if b.d.Templates != nil {
		ts := NewTemplateService(*b.d.Templates).(*templateService)
		reg(ternv1connect.TemplateServiceName, ternv1.File_tern_v1_template_service_proto.Path(), []grpc.MethodDesc{
			unary(b, "CreateTemplate", ts.CreateTemplate), unary(b, "UpdateTemplate", ts.UpdateTemplate), unary(b, "GetTemplate", ts.GetTemplate),
			unary(b, "ListTemplates", ts.ListTemplates), unary(b, "DeleteTemplate", ts.DeleteTemplate), unary(b, "EstimateTemplate", ts.EstimateTemplate),
		}, nil)
	}
	if b.d.Campaigns != nil {
		cs := NewCampaignService(*b.d.Campaigns).(*campaignService)
		reg(ternv1connect.CampaignServiceName, ternv1.File_tern_v1_campaign_service_proto.Path(), []grpc.MethodDesc{
			unary(b, "CreateCampaign", cs.CreateCampaign), unary(b, "EstimateCampaign", cs.EstimateCampaign),
			unary(b, "LaunchCampaign", cs.LaunchCampaign), unary(b, "PauseCampaign", cs.PauseCampaign),
			unary(b, "ResumeCampaign", cs.ResumeCampaign), unary(b, "CancelCampaign", cs.CancelCampaign),
			unary(b, "GetCampaign", cs.GetCampaign), unary(b, "ListCampaigns", cs.ListCampaigns),
		}, []grpc.StreamDesc{serverStream(b, "WatchCampaign", func(ctx context.Context, req *ternv1.WatchCampaignRequest, send func(*ternv1.WatchCampaignResponse) error) error {
			return cs.watch(ctx, req.GetId(), send)
		})})
	}
}

func contactMethods(b bridge, cs *contactService) []grpc.MethodDesc {
	return []grpc.MethodDesc{
		unary(b, "RecordConsent", cs.RecordConsent), unary(b, "RevokeConsent", cs.RevokeConsent),
		unary(b, "ListConsentEvents", cs.ListConsentEvents), unary(b, "EraseNumber", cs.EraseNumber), unary(b, "ListInbound", cs.ListInbound),
		unary(b, "UpsertContact", cs.UpsertContact), unary(b, "GetContact", cs.GetContact), unary(b, "ListContacts", cs.ListContacts),
		unary(b, "DeleteContact", cs.DeleteContact), unary(b, "CreateList", cs.CreateList), unary(b, "ListLists", cs.ListLists),
		unary(b, "DeleteList", cs.DeleteList), unary(b, "AddListMembers", cs.AddListMembers), unary(b, "RemoveListMembers", cs.RemoveListMembers),
		unary(b, "CreateSegment", cs.CreateSegment), unary(b, "UpdateSegment", cs.UpdateSegment), unary(b, "ListSegments", cs.ListSegments),
		unary(b, "DeleteSegment", cs.DeleteSegment), unary(b, "PreviewSegment", cs.PreviewSegment),
		unary(b, "ImportContactsChunk", cs.ImportContactsChunk), unary(b, "ListImportErrors", cs.ListImportErrors),
	}
}

// streamCall starts a streaming call on grpc-go: the caller the tap
// authenticated, its read timer stopped (a stream may take as long as it
// needs), and a panic turned into Internal, as unary does.
func streamCall(b bridge, name string, ss grpc.ServerStream, f func(ctx context.Context) error) (err error) {
	ctx := ss.Context()
	c, _ := ctx.Value(tenantKey{}).(*caller)
	if c == nil {
		return status.Error(codes.Internal, "grpc bridge without its tap")
	}
	if c.read != nil && !c.read.Stop() {
		return status.Error(codes.DeadlineExceeded, errReadTimeout.Error())
	}
	defer func() {
		if p := recover(); p != nil {
			b.d.Log.Error("panic in a gRPC handler", "method", name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = status.Error(codes.Internal, "internal error")
		}
	}()
	if err := f(ctx); err != nil {
		return grpcStatus(err)
	}
	return nil
}

// clientStream adapts a handler of a client stream: recv gives each
// message, then io.EOF.
func clientStream[Req, Res any, PReq interface {
	*Req
	proto.Message
}](b bridge, name string, f func(context.Context, func() (*Req, error)) (*Res, error)) grpc.StreamDesc {
	return grpc.StreamDesc{StreamName: name, ClientStreams: true, Handler: func(_ any, ss grpc.ServerStream) error {
		return streamCall(b, name, ss, func(ctx context.Context) error {
			out, err := f(ctx, func() (*Req, error) {
				m := PReq(new(Req))
				if err := ss.RecvMsg(m); err != nil {
					return nil, err // io.EOF at the end
				}
				return (*Req)(m), nil
			})
			if err != nil {
				return err
			}
			return ss.SendMsg(out)
		})
	}}
}

// serverStream adapts a handler of a server stream.
func serverStream[Req, Res any, PReq interface {
	*Req
	proto.Message
}](b bridge, name string, f func(context.Context, *Req, func(*Res) error) error) grpc.StreamDesc {
	return grpc.StreamDesc{StreamName: name, ServerStreams: true, Handler: func(_ any, ss grpc.ServerStream) error {
		return streamCall(b, name, ss, func(ctx context.Context) error {
			m := PReq(new(Req))
			if err := ss.RecvMsg(m); err != nil {
				if err == io.EOF {
					return status.Error(codes.InvalidArgument, "no request message")
				}
				return err
			}
			return f(ctx, (*Req)(m), func(r *Res) error { return ss.SendMsg(r) })
		})
	}}
}
