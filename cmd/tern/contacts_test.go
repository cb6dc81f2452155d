package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/api"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/pipeline"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/contacts"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestContactsImport: `tern contacts import` sends a file through the
// API in chunks, shows its progress and prints every rejected row; run
// after an upload cut short, it resumes, and run again it repeats
// harmlessly with the same summary.
func TestContactsImport(t *testing.T) { // not parallel: it sets TERN_API_KEY
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := pgtest.URL(t)
	topic := consentlog.TopicConfig{Brokers: []string{kafkatest.Broker(t)}, Topic: "tern.suppressions"}
	if err := consentlog.EnsureTopic(ctx, topic, 1, 1); err != nil {
		t.Fatal(err)
	}
	h := consentlog.NewHasher([]byte("cli-test"))
	ledger, err := consentlog.Open(ctx, url, h, topic)
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	book, err := contacts.Open(ctx, url, h, contacts.WithConsent(ledger))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	keys, err := api.NewKeyring(map[string][]string{"shop-1": {api.KeyHash("cli-key")}})
	if err != nil {
		t.Fatal(err)
	}
	handler, err := api.NewHandler(api.Deps{Keys: keys, Sender: nopSender{}, Reports: nopReports{}, IDs: nopReports{}, Log: slog.New(slog.DiscardHandler),
		Contacts: &api.ContactDeps{Writer: ledger, Reader: ledger, Book: book, Lists: book, Segments: book, Imports: book}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	var csv strings.Builder
	csv.WriteString("phone,first_name,consent\n")
	for i := range 500 {
		switch i {
		case 100:
			csv.WriteString("+1999,Bad,yes\n")
		case 200:
			csv.WriteString("+14155000199,Dup,yes\n")
		default:
			fmt.Fprintf(&csv, "+1415500%04d,N%d,yes\n", i, i)
		}
	}
	path := filepath.Join(t.TempDir(), "spring.csv")
	if err := os.WriteFile(path, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TERN_API_KEY", "cli-key")
	// An upload cut short: the first 4000 bytes only.
	client := ternv1connect.NewContactServiceClient(srv.Client(), srv.URL, connect.WithInterceptors(apiKey("cli-key")))
	if _, err := client.ImportContactsChunk(ctx, connect.NewRequest(&ternv1.ImportContactsChunkRequest{
		Options: &ternv1.ImportOptions{ImportId: "spring", ListName: "Spring", ConsentSource: "spring form"}, Data: []byte(csv.String()[:4000])})); err != nil {
		t.Fatal(err)
	}
	want := `{"imported":498,"rejected":2,"errors":[{"row":102,"error":"phone: not a valid phone number in E.164 form (+14155552671)"},` +
		`{"row":202,"error":"phone: duplicate of row 201"}]}` + "\n"
	for run := range 2 {
		var stdout, stderr bytes.Buffer
		err := runContacts(ctx, []string{"import", path, "--list", "Spring", "--api", srv.URL, "--import-id", "spring", "--consent-source", "spring form",
			"--chunk", "3000"}, &stdout, &stderr)
		if err != nil || stdout.String() != want {
			t.Fatalf("run %d: %v\nstdout %s\nwant   %s", run, err, stdout.String(), want)
		}
		if !strings.Contains(stderr.String(), "100%  500 rows, 498 imported, 2 rejected") {
			t.Fatalf("run %d: progress %q", run, stderr.String())
		}
	}
	n, sendable, err := book.Count(ctx, "shop-1", contacts.Audience{}, core.CategoryMarketing)
	if err != nil || n != 498 || sendable != n {
		t.Fatalf("stored %d contacts, %d with consent, %v", n, sendable, err)
	}
}

type nopSender struct{}

func (nopSender) Send(context.Context, []pipeline.Request, []pipeline.Result) error { return nil }

type nopReports struct{}

func (nopReports) CampaignStats(context.Context, string, string) (analytics.CampaignStats, error) {
	return analytics.CampaignStats{}, analytics.ErrNotFound
}
func (nopReports) Message(context.Context, string, string) (analytics.MessageView, error) {
	return analytics.MessageView{}, analytics.ErrNotFound
}
func (nopReports) Check(string, string) (time.Time, error) { return time.Time{}, analytics.ErrNotFound }
