package api

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/pipeline/contacts"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// ContactImports takes CSV imports in chunks; contacts.Store is one.
type ContactImports interface {
	ImportChunk(ctx context.Context, tenant string, o contacts.ImportOptions, offset int64, data []byte, last bool) (contacts.Progress, error)
	Import(ctx context.Context, tenant, id string) (contacts.Progress, error)
	ImportErrors(ctx context.Context, tenant, id string, after int64, limit int) ([]contacts.RowError, error)
}

// importFlush is how much of a streamed file is gathered before it is
// committed as a chunk.
const importFlush = 1 << 20

// watchEvery is how often a watch reads what it watches.
const watchEvery = 250 * time.Millisecond

func importOptions(p *ternv1.ImportOptions) contacts.ImportOptions {
	return contacts.ImportOptions{ID: p.GetImportId(), List: p.GetListName(), ConsentSource: p.GetConsentSource(), ConsentDisclosure: p.GetConsentDisclosure()}
}

func (s *contactService) ImportContactsChunk(ctx context.Context, req *connect.Request[ternv1.ImportContactsChunkRequest]) (*connect.Response[ternv1.ImportContactsChunkResponse], error) {
	if s.d.Imports == nil {
		return nil, errNoContactBook
	}
	m := req.Msg
	p, err := s.d.Imports.ImportChunk(ctx, tenantFrom(ctx), importOptions(m.GetOptions()), m.GetOffset(), m.GetData(), m.GetLast())
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return connect.NewResponse(&ternv1.ImportContactsChunkResponse{Progress: progressProto(p)}), nil
}

func (s *contactService) ImportContacts(ctx context.Context, stream *connect.ClientStream[ternv1.ImportContactsRequest]) (*connect.Response[ternv1.ImportContactsResponse], error) {
	out, err := s.importStream(ctx, func() (*ternv1.ImportContactsRequest, error) {
		if !stream.Receive() {
			if err := stream.Err(); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		return stream.Msg(), nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// importStream takes a streamed file, committing it a chunk of about
// importFlush bytes at a time, and answers with the import's progress
// and its first errors. recv returns io.EOF at the end of the stream.
func (s *contactService) importStream(ctx context.Context, recv func() (*ternv1.ImportContactsRequest, error)) (*ternv1.ImportContactsResponse, error) {
	if s.d.Imports == nil {
		return nil, errNoContactBook
	}
	first, err := recv()
	if errors.Is(err, io.EOF) {
		return nil, connectError(s.d.Log, &contacts.FieldError{Field: "options", Reason: "the first message must hold them"})
	}
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	tenant, o, offset := tenantFrom(ctx), importOptions(first.GetOptions()), first.GetOffset()
	buf := append([]byte(nil), first.GetData()...)
	for {
		m, err := recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, connectError(s.d.Log, err)
		}
		if len(buf) > 0 && (len(buf) >= importFlush || len(buf)+len(m.GetData()) > contacts.MaxChunk) {
			if _, err := s.d.Imports.ImportChunk(ctx, tenant, o, offset, buf, false); err != nil {
				return nil, connectError(s.d.Log, err)
			}
			offset, buf = offset+int64(len(buf)), buf[:0]
		}
		buf = append(buf, m.GetData()...)
	}
	p, err := s.d.Imports.ImportChunk(ctx, tenant, o, offset, buf, true)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	errs, err := s.d.Imports.ImportErrors(ctx, tenant, o.ID, 0, 1000)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	return &ternv1.ImportContactsResponse{Progress: progressProto(p), Errors: rowErrorsProto(errs)}, nil
}

func (s *contactService) WatchImport(ctx context.Context, req *connect.Request[ternv1.WatchImportRequest], stream *connect.ServerStream[ternv1.WatchImportResponse]) error {
	return s.watchImport(ctx, req.Msg.GetImportId(), stream.Send)
}

// watchImport sends the import's progress at once and then whenever it
// changes, until the import is done or ctx ends.
func (s *contactService) watchImport(ctx context.Context, id string, send func(*ternv1.WatchImportResponse) error) error {
	if s.d.Imports == nil {
		return errNoContactBook
	}
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	var last contacts.Progress
	for first := true; ; first = false {
		p, err := s.d.Imports.Import(ctx, tenantFrom(ctx), id)
		if err != nil {
			return connectError(s.d.Log, err)
		}
		if first || p != last {
			if err := send(&ternv1.WatchImportResponse{Progress: progressProto(p)}); err != nil {
				return err
			}
			last = p
		}
		if p.Done {
			return nil
		}
		select {
		case <-ctx.Done():
			return connectError(s.d.Log, ctx.Err())
		case <-t.C:
		}
	}
}

func (s *contactService) ListImportErrors(ctx context.Context, req *connect.Request[ternv1.ListImportErrorsRequest]) (*connect.Response[ternv1.ListImportErrorsResponse], error) {
	if s.d.Imports == nil {
		return nil, errNoContactBook
	}
	m := req.Msg
	size := int(m.GetPageSize())
	if size < 0 || size > 10_000 {
		return nil, connectError(s.d.Log, &contacts.FieldError{Field: "page_size", Reason: "0 to 10000"})
	}
	if size == 0 {
		size = 1000
	}
	var after int64
	if tok := m.GetPageToken(); tok != "" {
		var err error
		if after, err = strconv.ParseInt(tok, 10, 64); err != nil || after < 0 {
			return nil, connectError(s.d.Log, &contacts.FieldError{Field: "page_token", Reason: "not a token this call returned"})
		}
	}
	if _, err := s.d.Imports.Import(ctx, tenantFrom(ctx), m.GetImportId()); err != nil {
		return nil, connectError(s.d.Log, err)
	}
	errs, err := s.d.Imports.ImportErrors(ctx, tenantFrom(ctx), m.GetImportId(), after, size)
	if err != nil {
		return nil, connectError(s.d.Log, err)
	}
	out := &ternv1.ListImportErrorsResponse{Errors: rowErrorsProto(errs)}
	if len(errs) == size {
		out.NextPageToken = strconv.FormatInt(errs[len(errs)-1].Row, 10)
	}
	return connect.NewResponse(out), nil
}

func rowErrorsProto(errs []contacts.RowError) []*ternv1.ImportRowError {
	out := make([]*ternv1.ImportRowError, len(errs))
	for i, e := range errs {
		out[i] = &ternv1.ImportRowError{Row: e.Row, Error: e.Error}
	}
	return out
}

func progressProto(p contacts.Progress) *ternv1.ImportProgress {
	state := ternv1.ImportState_IMPORT_STATE_RUNNING
	if p.Done {
		state = ternv1.ImportState_IMPORT_STATE_DONE
	}
	return &ternv1.ImportProgress{ImportId: p.ID, State: state, BytesReceived: p.BytesReceived, RowsRead: p.RowsRead, Imported: p.Imported,
		Rejected: p.Rejected, ListId: p.ListID, ConsentRecorded: p.ConsentRecorded, CreatedAt: timestamppb.New(p.Created), UpdatedAt: timestamppb.New(p.Updated)}
}
