package api

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// importFile is a CSV of n rows with four bad ones, by row number.
func importFile(n int) ([]byte, map[int64]string) {
	var b bytes.Buffer
	b.WriteString("phone,first_name,consent\n")
	bad := map[int64]string{}
	for i := range n {
		row := int64(i + 2)
		line := fmt.Sprintf("+1415%07d,Name%d,yes\n", 3000000+i, i)
		switch i {
		case 10:
			line, bad[row] = "+1999,X,yes\n", "phone: not a valid"
		case 20:
			line, bad[row] = "+14153000020,X\n", "2 columns, the header has 3"
		case 30:
			line, bad[row] = "+14153000030,\xff,yes\n", "first_name: not valid UTF-8"
		case 40:
			line, bad[row] = "+14153000039,Dup,yes\n", "duplicate of row 41"
		}
		b.WriteString(line)
	}
	return b.Bytes(), bad
}

// TestImportEveryPath: the same file imported by client streaming over
// gRPC (grpc-go) and over Connect on HTTP/2, and in chunks over Connect
// JSON on HTTP/1.1 (the browser's way), reports the same bad rows by
// number and imports the rest; WatchImport follows it to the end.
func TestImportEveryPath(t *testing.T) {
	t.Parallel()
	a := serveCampaignAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	file, bad := importFile(300)
	for name, c := range a.contactClients() {
		o := &ternv1.ImportOptions{ImportId: "import-" + strings.ReplaceAll(name, " ", "-"), ListName: "spring", ConsentSource: "spring.csv"}
		var p *ternv1.ImportProgress
		if name == "json h1" {
			p = importChunks(t, ctx, c, o, file, 1000)
		} else {
			p = importStream(t, ctx, c, o, file, 700)
		}
		if p.GetState() != ternv1.ImportState_IMPORT_STATE_DONE || p.GetImported() != int64(300-len(bad)) || p.GetRejected() != int64(len(bad)) ||
			p.GetRowsRead() != 300 || p.GetListId() == 0 || p.GetConsentRecorded() == 0 {
			t.Fatalf("%s: progress %v", name, p)
		}
		errs, err := c.ListImportErrors(ctx, connect.NewRequest(&ternv1.ListImportErrorsRequest{ImportId: o.ImportId, PageSize: 3}))
		if err != nil {
			t.Fatal(err)
		}
		all := errs.Msg.GetErrors()
		more, err := c.ListImportErrors(ctx, connect.NewRequest(&ternv1.ListImportErrorsRequest{ImportId: o.ImportId, PageToken: errs.Msg.GetNextPageToken()}))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, more.Msg.GetErrors()...)
		if len(all) != len(bad) {
			t.Fatalf("%s: errors %v", name, all)
		}
		for _, e := range all {
			if !strings.Contains(e.GetError(), bad[e.GetRow()]) {
				t.Errorf("%s: row %d: %q, want %q", name, e.GetRow(), e.GetError(), bad[e.GetRow()])
			}
		}
		w, err := c.WatchImport(ctx, connect.NewRequest(&ternv1.WatchImportRequest{ImportId: o.ImportId}))
		if err != nil {
			t.Fatal(err)
		}
		if !w.Receive() || w.Msg().GetProgress().GetState() != ternv1.ImportState_IMPORT_STATE_DONE || w.Receive() {
			t.Fatalf("%s: WatchImport of a done import: %v, %v", name, w.Msg(), w.Err())
		}
		w.Close()
	}
	c := a.contactClients()["json h1"]
	_, err := c.ImportContactsChunk(ctx, connect.NewRequest(&ternv1.ImportContactsChunkRequest{
		Options: &ternv1.ImportOptions{ImportId: "gap"}, Offset: 10, Data: []byte("x")}))
	if connect.CodeOf(err) != connect.CodeFailedPrecondition || !strings.Contains(err.Error(), "offset: the import has 0 bytes") {
		t.Fatalf("a chunk past the end: %v", err)
	}
	_, err = c.ImportContactsChunk(ctx, connect.NewRequest(&ternv1.ImportContactsChunkRequest{
		Options: &ternv1.ImportOptions{ImportId: "nophone"}, Data: []byte("name\nx\n"), Last: true}))
	if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "header: no phone column") {
		t.Fatalf("a file without a phone column: %v", err)
	}
	got, err := c.GetContact(ctx, connect.NewRequest(&ternv1.GetContactRequest{Phone: "+14153000001"}))
	if err != nil || got.Msg.GetContact().GetFirstName() != "Name1" || !got.Msg.GetContact().GetConsent().GetMarketing() {
		t.Fatalf("imported contact %v, %v", got, err)
	}
}

// importChunks sends file in chunks of size step, the first half twice,
// as a client retrying would.
func importChunks(t *testing.T, ctx context.Context, c ternv1connect.ContactServiceClient, o *ternv1.ImportOptions, file []byte, step int) *ternv1.ImportProgress {
	t.Helper()
	var p *ternv1.ImportProgress
	for pass := range 2 {
		for off := 0; off < len(file); {
			end := min(off+step, len(file))
			resp, err := c.ImportContactsChunk(ctx, connect.NewRequest(&ternv1.ImportContactsChunkRequest{Options: o, Offset: int64(off),
				Data: file[off:end], Last: end == len(file)}))
			if err != nil {
				t.Fatalf("chunk at %d: %v", off, err)
			}
			p = resp.Msg.GetProgress()
			off = int(p.GetBytesReceived())
			if pass == 0 && off >= len(file)/2 {
				break // start again from the beginning
			}
		}
	}
	return p
}

// importStream streams file in messages of size step.
func importStream(t testing.TB, ctx context.Context, c ternv1connect.ContactServiceClient, o *ternv1.ImportOptions, file []byte, step int) *ternv1.ImportProgress {
	t.Helper()
	stream := c.ImportContacts(ctx)
	for off := 0; off < len(file); off += step {
		m := &ternv1.ImportContactsRequest{Data: file[off:min(off+step, len(file))]}
		if off == 0 {
			m.Options = o
		}
		if err := stream.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := stream.CloseAndReceive()
	if err != nil {
		t.Fatal(err)
	}
	return resp.Msg.GetProgress()
}
