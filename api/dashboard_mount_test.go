package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"connectrpc.com/connect"

	ternv1 "github.com/ternsms/tern/proto/tern/v1"
	"github.com/ternsms/tern/proto/tern/v1/ternv1connect"
)

// TestDashboardBesideTheAPI: the app gets the paths no service claims;
// a call to a service this server does not mount is Unimplemented, not
// the app's 404 page.
func TestDashboardBesideTheAPI(t *testing.T) {
	t.Parallel()
	keys, err := NewKeyring(map[string][]string{"shop-1": {KeyHash("key-one")}})
	if err != nil {
		t.Fatal(err)
	}
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "dashboard "+r.URL.Path) })
	h, err := NewHandler(Deps{Keys: keys, Sender: &countingSender{}, Reports: noReports{}, IDs: noReports{},
		Log: slog.New(slog.DiscardHandler), Web: web})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/send")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "dashboard /send" {
		t.Fatalf("GET /send = %q, want the app", b)
	}
	contacts := ternv1connect.NewContactServiceClient(srv.Client(), srv.URL)
	req := connect.NewRequest(&ternv1.ListContactsRequest{})
	req.Header().Set("Authorization", "Bearer key-one")
	if _, err := contacts.ListContacts(context.Background(), req); connect.CodeOf(err) != connect.CodeUnimplemented {
		t.Fatalf("ListContacts on a server without ContactService: %v, want Unimplemented", err)
	}
}
