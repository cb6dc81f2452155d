package api

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/pipeline/contacts"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// ContactBook keeps contacts; contacts.Store is one.
type ContactBook interface {
	Upsert(ctx context.Context, c contacts.Contact, lists []int64) (contacts.Contact, bool, error)
	Get(ctx context.Context, tenant string, id int64) (contacts.Contact, error)
	GetByPhone(ctx context.Context, tenant, number string) (contacts.Contact, error)
	List(ctx context.Context, tenant string, a contacts.Audience, pageSize int, token string) ([]contacts.Contact, string, error)
	Delete(ctx context.Context, tenant string, id int64, number string) (string, error)
	Count(ctx context.Context, tenant string, a contacts.Audience, cat core.Category) (int64, int64, error)
}

// ContactLists keeps static lists; contacts.Store is one.
type ContactLists interface {
	CreateList(ctx context.Context, tenant, name string) (contacts.List, error)
	Lists(ctx context.Context, tenant string) ([]contacts.List, error)
	DeleteList(ctx context.Context, tenant string, id int64) error
	AddMembers(ctx context.Context, tenant string, list int64, ids []int64) (int64, error)
	RemoveMembers(ctx context.Context, tenant string, list int64, ids []int64) (int64, error)
}

// Segments keeps stored filters; contacts.Store is one.
type Segments interface {
	CreateSegment(ctx context.Context, tenant, name string, f *ternv1.SegmentFilter) (contacts.Segment, error)
	UpdateSegment(ctx context.Context, tenant string, id int64, name string, f *ternv1.SegmentFilter) (contacts.Segment, error)
	Segments(ctx context.Context, tenant string) ([]contacts.Segment, error)
	DeleteSegment(ctx context.Context, tenant string, id int64) error
}

var errNoContactBook = connect.NewError(connect.CodeUnimplemented, errors.New("the contact book is not served here"))

func (s *contactService) UpsertContact(ctx context.Context, req *connect.Request[ternv1.UpsertContactRequest]) (*connect.Response[ternv1.UpsertContactResponse], error) {
	if s.d.Book == nil {
		return nil, errNoContactBook
	}
	c := contactFromProto(req.Msg.GetContact())
	c.Tenant = tenantFrom(ctx)
	got, created, err := s.d.Book.Upsert(ctx, c, req.Msg.GetListIds())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.UpsertContactResponse{Contact: contactProto(got), Created: created}), nil
}

// contactOf reads a contact by id, or by phone when id is 0.
func (s *contactService) contactOf(ctx context.Context, id int64, phone string) (contacts.Contact, error) {
	if id != 0 {
		return s.d.Book.Get(ctx, tenantFrom(ctx), id)
	}
	return s.d.Book.GetByPhone(ctx, tenantFrom(ctx), phone)
}

func (s *contactService) GetContact(ctx context.Context, req *connect.Request[ternv1.GetContactRequest]) (*connect.Response[ternv1.GetContactResponse], error) {
	if s.d.Book == nil {
		return nil, errNoContactBook
	}
	c, err := s.contactOf(ctx, req.Msg.GetId(), req.Msg.GetPhone())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.GetContactResponse{Contact: contactProto(c)}), nil
}

func (s *contactService) ListContacts(ctx context.Context, req *connect.Request[ternv1.ListContactsRequest]) (*connect.Response[ternv1.ListContactsResponse], error) {
	if s.d.Book == nil {
		return nil, errNoContactBook
	}
	m := req.Msg
	if m.GetSegmentId() != 0 && m.GetFilter() != nil {
		return nil, connectError(s.d.Log, &contacts.FieldError{Field: "filter", Reason: "give a segment_id or a filter, not both"})
	}
	a := contacts.Audience{SegmentID: m.GetSegmentId(), Filter: m.GetFilter()}
	if m.GetListId() != 0 {
		a.ListIDs = []int64{m.GetListId()}
	}
	list, next, err := s.d.Book.List(ctx, tenantFrom(ctx), a, int(m.GetPageSize()), m.GetPageToken())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	out := &ternv1.ListContactsResponse{NextPageToken: next}
	for _, c := range list {
		out.Contacts = append(out.Contacts, contactProto(c))
	}
	return connect.NewResponse(out), nil
}

func (s *contactService) DeleteContact(ctx context.Context, req *connect.Request[ternv1.DeleteContactRequest]) (*connect.Response[ternv1.DeleteContactResponse], error) {
	if s.d.Book == nil {
		return nil, errNoContactBook
	}
	m, tenant := req.Msg, tenantFrom(ctx)
	number, err := s.d.Book.Delete(ctx, tenant, m.GetId(), m.GetPhone())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	out := &ternv1.DeleteContactResponse{Deleted: true}
	if m.GetEraseConsent() {
		if out.ConsentEventsErased, err = s.d.Writer.Erase(ctx, tenant, number); err != nil {
			return nil, consentError(s.d.Log, err)
		}
		if _, err := s.d.Replies.Erase(ctx, tenant, number); err != nil {
			return nil, consentError(s.d.Log, err)
		}
	}
	return connect.NewResponse(out), nil
}

func (s *contactService) PreviewSegment(ctx context.Context, req *connect.Request[ternv1.PreviewSegmentRequest]) (*connect.Response[ternv1.PreviewSegmentResponse], error) {
	if s.d.Book == nil {
		return nil, errNoContactBook
	}
	m, tenant := req.Msg, tenantFrom(ctx)
	if m.GetSampleSize() < 0 || m.GetSampleSize() > 100 {
		return nil, connectError(s.d.Log, &contacts.FieldError{Field: "sample_size", Reason: "0 to 100"})
	}
	a := contacts.Audience{ListIDs: m.GetListIds(), SegmentID: m.GetSegmentId(), Filter: m.GetFilter()}
	total, sendable, err := s.d.Book.Count(ctx, tenant, a, core.CategoryMarketing)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	out := &ternv1.PreviewSegmentResponse{Count: total, Sendable: sendable}
	if m.GetSampleSize() > 0 {
		sample, _, err := s.d.Book.List(ctx, tenant, a, int(m.GetSampleSize()), "")
		if err != nil {
			return nil, connectError(s.d.Log, err)
		}
		for _, c := range sample {
			out.Sample = append(out.Sample, contactProto(c))
		}
	}
	return connect.NewResponse(out), nil
}

func contactFromProto(p *ternv1.Contact) contacts.Contact {
	return contacts.Contact{Phone: p.GetPhone(), FirstName: p.GetFirstName(), LastName: p.GetLastName(), Email: p.GetEmail(),
		Language: p.GetLanguage(), TimeZone: p.GetTimeZone(), Attributes: p.GetAttributes(), Tags: p.GetTags()}
}

func contactProto(c contacts.Contact) *ternv1.Contact {
	return &ternv1.Contact{
		Id: c.ID, Phone: c.Phone, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Language: c.Language,
		TimeZone: c.TimeZone, Country: c.Country, Attributes: c.Attributes, Tags: c.Tags,
		Consent: &ternv1.ContactConsent{Marketing: c.Consent.Marketing, OptedOut: c.Consent.OptedOut,
			OptOutScope: ternv1.ConsentScope(c.Consent.OptOutScope), Erased: c.Consent.Erased, Suppressed: c.Consent.Hygiene != 0},
		LastDeliveredAt: timestamp(c.LastDelivered), LastClickedAt: timestamp(c.LastClicked),
		CreatedAt: timestamppb.New(c.Created), UpdatedAt: timestamppb.New(c.Updated),
	}
}
