package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTwilioMounted: NewHandler hands the Twilio paths to Deps.Twilio,
// which authenticates them itself, and keeps serving the rest.
func TestTwilioMounted(t *testing.T) {
	t.Parallel()
	keys, err := NewKeyring(map[string][]string{"shop-1": {KeyHash("key-one")}})
	if err != nil {
		t.Fatal(err)
	}
	tw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "twilio "+r.URL.Path) })
	h, err := NewHandler(Deps{Keys: keys, Sender: &countingSender{}, Reports: noReports{}, IDs: noReports{}, Log: slog.New(slog.DiscardHandler), Twilio: tw})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, p := range []string{"/2010-04-01/Accounts/AC1/Messages.json", "/v2/Services/VA1/Verifications"} {
		resp, err := http.Post(srv.URL+p, "application/x-www-form-urlencoded", strings.NewReader("To=%2B14155552671"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "twilio "+p {
			t.Errorf("%s: %d %q", p, resp.StatusCode, b)
		}
	}
	resp, err := http.Post(srv.URL+"/tern.v1.MessageService/Send", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("Connect call without a key: %d", resp.StatusCode)
	}
}
